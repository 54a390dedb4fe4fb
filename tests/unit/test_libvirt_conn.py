# -*- coding: utf-8 -*-
"""libvirt_conn: opening libvirt (one clear error without the binding), looking objects up, and what
modules do with the domains they find - read their definition, NICs and mark, find the lab's,
undefine them. libvirt is FakeLibvirt with FakeConnection and FakeDomain; no daemon is opened."""
import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import libvirt_conn
from ansible_collections.labkit.tripleo.plugins.module_utils import libvirt_domain_xml as dx
from ansible_collections.labkit.tripleo.plugins.module_utils import libvirt_xml as lx

OWNER = {"lab": "mylab", "instance": "i-1", "adopt": False}


class FakeLibvirtError(Exception):
    def __init__(self, message, code=None):
        super(FakeLibvirtError, self).__init__(message)
        self.code = code

    def get_error_code(self):
        return self.code


class FakeLibvirt(object):
    """The parts of the libvirt binding libvirt_conn and libvirt_domains use (values as in libvirt)."""

    libvirtError = FakeLibvirtError
    VIR_ERR_NO_DOMAIN = 42
    VIR_ERR_NO_NETWORK = 43
    VIR_DOMAIN_XML_INACTIVE = 2
    VIR_DOMAIN_UNDEFINE_MANAGED_SAVE = 1
    VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA = 2
    VIR_DOMAIN_UNDEFINE_NVRAM = 4

    def __init__(self, conn=None, error=None):
        self.conn, self.error = conn, error
        self.opened = []

    def open(self, uri):
        self.opened.append(uri)
        if self.error is not None:
            raise self.error
        return self.conn


class FakeDomain(object):
    """A domain: its definition, what it runs with (``live``, or the definition), and the calls made on it."""

    def __init__(self, xml, active=False, live=None):
        self.xml, self.active, self.live = xml, active, live
        self.calls = []

    def name(self):
        return dx.parse_domain(self.xml)["name"] if "<domain" in self.xml else lx.parse_network(self.xml)["name"]

    def UUIDString(self):
        return "uuid-" + self.name()

    def XMLDesc(self, flags):
        if flags == FakeLibvirt.VIR_DOMAIN_XML_INACTIVE:
            return self.xml
        assert flags == 0, flags
        return self.live or self.xml

    def isActive(self):
        return int(self.active)

    def create(self):
        self.calls.append(("create",))
        self.active = True

    def destroy(self):
        self.calls.append(("destroy",))
        self.active = False

    def undefineFlags(self, flags):
        self.calls.append(("undefineFlags", flags))


class FakeConnection(object):
    def __init__(self, *domains):
        self.domains = dict((d.name(), d) for d in domains)
        self.defined = []

    def lookupByName(self, name):
        if name not in self.domains:
            raise FakeLibvirtError("Domain not found: no domain with matching name '%s'" % name,
                                   FakeLibvirt.VIR_ERR_NO_DOMAIN)
        return self.domains[name]

    def listAllDomains(self, flags):
        assert flags == 0
        return [self.domains[name] for name in sorted(self.domains)]

    def defineXML(self, xml):
        self.defined.append(xml)
        name = dx.parse_domain(xml)["name"]
        dom = self.domains.get(name)
        if dom is None:
            dom = self.domains[name] = FakeDomain(xml)
        dom.xml = xml
        return dom

    def undefined(self):
        return sorted(name for name, dom in self.domains.items() if ("undefineFlags", 7) in dom.calls)


class Failed(Exception):
    pass


class FakeModule(object):
    def __init__(self, check_mode=False):
        self.check_mode = check_mode
        self.warnings = []

    def warn(self, warning):
        self.warnings.append(warning)

    def fail_json(self, **kwargs):
        raise Failed(kwargs)


@pytest.fixture(autouse=True)
def fake_libvirt(monkeypatch):
    """Every test sees FakeLibvirt as the binding."""
    fake = FakeLibvirt()
    monkeypatch.setattr(libvirt_conn, "libvirt", fake)
    return fake


def domain(lab_vm, lab="mylab", instance="i-1", **kwargs):
    """A domain as this collection defines it for ``lab_vm`` (the mark of ``lab``; None: no mark)."""
    xml = dx.domain_xml(lab or "x", lab_vm, "qemu", "ovs-network-1", instance=instance)
    if lab is None:
        xml = xml.replace(xml[xml.index("<metadata>"):xml.index("</metadata>") + len("</metadata>")], "")
    return FakeDomain(xml, **kwargs)


def vm(name, role="node", console_log=None):
    return {"name": name, "role": role, "vcpus": 2, "memory_mb": 2048,
            "disks": [{"device": "a", "path": "/var/lib/libvirt/images/%s.qcow2" % name}],
            "nics": [{"mac": "52:54:00:00:00:%02x" % (sum(map(ord, name)) % 256), "portgroup": "access-100",
                      "provisioning": True}],
            "console_log": console_log}


def test_the_fake_binding_has_libvirts_values():
    real = pytest.importorskip("libvirt")
    for name in [n for n in vars(FakeLibvirt) if n.startswith("VIR_")]:
        assert getattr(real, name) == getattr(FakeLibvirt, name), name


def test_connect_opens_the_uri_or_fails_saying_why(fake_libvirt, monkeypatch):
    conn = FakeConnection()
    fake_libvirt.conn = conn
    assert libvirt_conn.connect(FakeModule(), "qemu:///system") is conn and fake_libvirt.opened == ["qemu:///system"]
    fake_libvirt.error = FakeLibvirtError("Failed to connect socket")
    with pytest.raises(Failed) as failed:
        libvirt_conn.connect(FakeModule(), "qemu:///system")
    assert failed.value.args[0] == {"msg": "cannot connect to libvirt at qemu:///system: Failed to connect socket"}
    monkeypatch.setattr(libvirt_conn, "libvirt", None)
    with pytest.raises(Failed) as failed:
        libvirt_conn.connect(FakeModule(), "qemu:///system")
    assert failed.value.args[0]["msg"].startswith("the libvirt Python binding is missing on the virthost")


def test_lookup_answers_none_for_a_missing_object_and_raises_other_errors():
    conn = FakeConnection(domain(vm("n1")))
    assert libvirt_conn.lookup(conn.lookupByName, "n1").name() == "n1"
    assert libvirt_conn.lookup(conn.lookupByName, "n2") is None

    def broken(name):
        raise FakeLibvirtError("internal error", 1)

    with pytest.raises(FakeLibvirtError):
        libvirt_conn.lookup(broken, "n1")


def test_the_definition_and_the_nics_as_libvirt_has_them():
    dom = domain(vm("n1"))
    dom.live = dom.xml.replace("<source network", "<target dev='vnet7' /><source network")
    assert libvirt_conn.inactive_xml(dom) == dom.xml
    nics = libvirt_conn.nics(dom, [])
    assert [(n["portgroup"], n["target"]) for n in nics] == [("access-100", "vnet7")]
    # No domain (not defined yet, in check mode): the spec's NICs, without a port name.
    spec = dx.domain_spec(vm("n2"), "qemu", "net")
    assert libvirt_conn.nics(None, spec["nics"]) == [
        {"mac": spec["nics"][0]["mac"], "network": "net", "portgroup": "access-100", "target": None}]


def test_the_labs_domains_are_those_with_its_mark():
    conn = FakeConnection(domain(vm("ours")), domain(vm("old"), instance=None), domain(vm("twin"), instance="i-2"),
                          domain(vm("other"), lab="otherlab"), domain(vm("bare"), lab=None))
    assert [d.name() for d in libvirt_conn.lab_domains(conn, OWNER)] == ["old", "ours"]
    assert [d.name() for d in libvirt_conn.lab_domains(conn, dict(OWNER, adopt=True))] == ["old", "ours", "twin"]
    assert libvirt_conn.is_labs(conn.domains["ours"], OWNER) and not libvirt_conn.is_labs(conn.domains["bare"], OWNER)


def test_find_domains_tells_the_existing_from_the_foreign_in_order():
    conn = FakeConnection(domain(vm("ours")), domain(vm("other"), lab="otherlab"), domain(vm("twin"), instance="i-2"))
    existing, foreign = libvirt_conn.find_domains(conn, ["twin", "ours", "missing", "other"], OWNER)
    assert sorted(existing) == ["other", "ours", "twin"]
    assert foreign == [("twin", ("mylab", "i-2")), ("other", ("otherlab", "i-1"))]


def test_undefine_powers_off_a_running_domain_first():
    running, stopped = domain(vm("a"), active=True), domain(vm("b"))
    libvirt_conn.undefine(running)
    libvirt_conn.undefine(stopped)
    assert running.calls == [("destroy",), ("undefineFlags", 7)]
    assert stopped.calls == [("undefineFlags", 7)]
