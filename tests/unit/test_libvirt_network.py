# -*- coding: utf-8 -*-
"""libvirt_network: what the module decides on top of libvirt_xml - define or update in place,
ownership verdicts (refuse, stamp, remove), the order and flags of portgroup updates, check mode
and argument checks. libvirt is FakeLibvirt with a FakeConnection; no daemon is ever opened."""
import xml.etree.ElementTree as ET

import pytest


from ansible_collections.labkit.tripleo.plugins.module_utils import libvirt_conn
from ansible_collections.labkit.tripleo.plugins.module_utils import libvirt_xml as lx
from ansible_collections.labkit.tripleo.plugins.modules import libvirt_network

import module_harness
from module_harness import FakeFail

PORTGROUPS = [{"name": "access-100", "vlan": 100}, {"name": "access-101", "vlan": 101},
              {"name": "trunk-1", "trunk": [100, 101, 102]}]
PARAMS = {"lab": "mylab", "instance": "i-1", "adopt": False, "uri": "qemu:///system", "name": "ovs-network-1",
          "bridge": "ovs-br1", "portgroups": PORTGROUPS, "state": "present"}


class FakeLibvirtError(Exception):
    def __init__(self, message, code=None):
        super(FakeLibvirtError, self).__init__(message)
        self.code = code

    def get_error_code(self):
        return self.code


class FakeLibvirt(object):
    """The parts of the libvirt binding the module and libvirt_conn use (values as in libvirt)."""

    libvirtError = FakeLibvirtError
    VIR_ERR_NO_DOMAIN = 42
    VIR_ERR_NO_NETWORK = 43
    VIR_NETWORK_XML_INACTIVE = 1
    VIR_NETWORK_SECTION_PORTGROUP = 9
    VIR_NETWORK_UPDATE_COMMAND_MODIFY = 1
    VIR_NETWORK_UPDATE_COMMAND_DELETE = 2
    VIR_NETWORK_UPDATE_COMMAND_ADD_LAST = 3
    VIR_NETWORK_UPDATE_AFFECT_LIVE = 1
    VIR_NETWORK_UPDATE_AFFECT_CONFIG = 2

    def __init__(self, conn=None):
        self.conn = conn
        self.opened = []

    def open(self, uri):
        self.opened.append(uri)
        return self.conn


L = FakeLibvirt


class FakeNetwork(object):
    """A network: its inactive XML, whether it runs and autostarts, and the calls made on it.

    ``update_bug``: this libvirt build wants section and command swapped ("swapped"), or
    refuses every update ("broken").
    """

    def __init__(self, xml, active=True, autostart=True, update_bug=None):
        self.xml, self.active, self.auto, self.update_bug = xml, active, autostart, update_bug
        self.calls = []

    def XMLDesc(self, flags):
        assert flags == L.VIR_NETWORK_XML_INACTIVE, "the module reads the persistent definition"
        return self.xml

    def isActive(self):
        return int(self.active)

    def autostart(self):
        return int(self.auto)

    def create(self):
        self.calls.append(("create",))
        self.active = True

    def setAutostart(self, flag):
        self.calls.append(("setAutostart", flag))
        self.auto = bool(flag)

    def destroy(self):
        self.calls.append(("destroy",))
        self.active = False

    def undefine(self):
        self.calls.append(("undefine",))

    def update(self, command, section, index, xml, flags):
        self.calls.append(("update", command, section, index, xml, flags))
        if self.update_bug == "broken" or (self.update_bug == "swapped" and command != L.VIR_NETWORK_SECTION_PORTGROUP):
            raise FakeLibvirtError("Operation not supported: can't update 'bridge' section of network")


class FakeConnection(object):
    def __init__(self, *networks, **kwargs):
        self.networks = dict((lx.parse_network(n.xml)["name"], n) for n in networks)
        self.lookup_error = kwargs.get("lookup_error")
        self.defined = []

    def networkLookupByName(self, name):
        if self.lookup_error is not None:
            raise self.lookup_error
        if name not in self.networks:
            raise FakeLibvirtError("Network not found: no network with matching name '%s'" % name,
                                   L.VIR_ERR_NO_NETWORK)
        return self.networks[name]

    def networkDefineXML(self, xml):
        self.defined.append(xml)
        name = lx.parse_network(xml)["name"]
        net = self.networks.get(name)
        if net is None:
            net = self.networks[name] = FakeNetwork(xml, active=False, autostart=False)
        net.xml = xml
        return net


class FakeModule(object):
    def __init__(self, check_mode=False):
        self.check_mode = check_mode
        self.warnings = []

    def warn(self, warning):
        self.warnings.append(warning)

    def fail_json(self, **kwargs):
        raise FakeFail(kwargs)


@pytest.fixture(autouse=True)
def fake_libvirt(monkeypatch):
    """Every test sees FakeLibvirt as the binding; FakeLibvirt.open answers with ``fake_libvirt.conn``."""
    fake = FakeLibvirt()
    monkeypatch.setattr(libvirt_conn, "libvirt", fake)
    return fake


def lab_network(lab="mylab", instance="i-1", bridge="ovs-br1", portgroups=None, **kwargs):
    """The network as this collection defines it (the mark, bridge mode, Open vSwitch)."""
    return FakeNetwork(lx.network_xml(lab, "ovs-network-1", bridge, PORTGROUPS if portgroups is None else portgroups,
                                      uuid="c0ffee00-0000-4000-8000-000000000001", instance=instance), **kwargs)


def other_network(forward="bridge", bridge="ovs-br1", virtualport="openvswitch", metadata=""):
    """A network somebody else defined."""
    vport = "<virtualport type='%s'/>" % virtualport if virtualport else ""
    return FakeNetwork("<network><name>ovs-network-1</name>%s<forward mode='%s'/><bridge name='%s'/>%s</network>"
                       % (metadata, forward, bridge, vport))


def params(**over):
    return dict(PARAMS, **over)


def updates(net):
    return [c for c in net.calls if c[0] == "update"]


# ------------------------------------------------------------ the binding

def test_the_fake_binding_has_libvirts_values():
    real = pytest.importorskip("libvirt")
    for name in [n for n in vars(FakeLibvirt) if n.startswith("VIR_")]:
        assert getattr(real, name) == getattr(FakeLibvirt, name), name


# --------------------------------------------------------- a new network

@pytest.mark.parametrize("instance", ["i-1", ""])
def test_a_new_network_is_defined_marked_started_and_autostarted(instance):
    conn = FakeConnection()
    actions, network = libvirt_network.ensure_present(FakeModule(), conn, params(instance=instance))
    assert actions == ["define", "start", "autostart"]
    assert network == {"name": "ovs-network-1", "bridge": "ovs-br1", "active": True, "autostart": True,
                       "portgroups": ["access-100", "access-101", "trunk-1"]}
    defined = lx.parse_network(conn.defined[0])
    assert (defined["owner"], defined["owner_instance"]) == ("mylab", instance or None)
    assert (defined["bridge"], defined["forward"], defined["openvswitch"]) == ("ovs-br1", "bridge", True)
    assert defined["portgroups"]["trunk-1"]["trunk"] == [100, 101, 102]
    assert defined["portgroups"]["access-101"]["vlan"] == 101
    net = conn.networks["ovs-network-1"]
    assert net.calls == [("create",), ("setAutostart", 1)] and net.active and net.auto


def test_check_mode_predicts_a_new_network_without_defining_it():
    conn = FakeConnection()
    actions, network = libvirt_network.ensure_present(FakeModule(check_mode=True), conn, PARAMS)
    assert actions == ["define", "start", "autostart"] and network["active"] is True
    assert conn.defined == [] and conn.networks == {}


# ------------------------------------------------------ an existing network

def test_a_network_as_the_lab_wants_it_is_left_alone():
    net = lab_network()
    module = FakeModule()
    actions, network = libvirt_network.ensure_present(module, FakeConnection(net), PARAMS)
    assert actions == [] and net.calls == [] and module.warnings == []
    assert network["portgroups"] == ["access-100", "access-101", "trunk-1"]


RENAME = "Rename lab.network.name or remove that network"


@pytest.mark.parametrize("make, owner, remedy", [
    (lambda: lab_network(lab="otherlab"), "lab otherlab, instance i-1", RENAME),
    (other_network, "none", RENAME),
    (lambda: lab_network(instance="i-2"), "lab mylab, instance i-2", "take it over with -e lab_adopt=true"),
], ids=["other-lab", "unmarked", "other-instance"])
def test_a_network_the_lab_did_not_make_is_refused(make, owner, remedy):
    net = make()
    conn = FakeConnection(net)
    with pytest.raises(FakeFail) as failure:
        libvirt_network.ensure_present(FakeModule(), conn, PARAMS)
    msg = failure.value.args[0]["msg"]
    assert msg.startswith("libvirt network 'ovs-network-1' exists but was not created by lab 'mylab' (owner: %s); "
                          "refusing to modify it." % owner)
    assert msg.endswith(remedy + ".")
    assert conn.defined == [] and net.calls == []


@pytest.mark.parametrize("make, adopt", [(lambda: lab_network(instance=None), False),
                                         (lambda: lab_network(instance="i-2"), True)],
                         ids=["mark-without-instance", "adopted"])
def test_the_labs_network_without_this_instance_is_stamped_and_nothing_else(make, adopt):
    net = make()
    before = lx.parse_network(net.xml)
    conn = FakeConnection(net)
    actions, _network = libvirt_network.ensure_present(FakeModule(), conn, params(adopt=adopt))
    assert actions == ["mark with instance i-1"]
    after = lx.parse_network(conn.defined[0])
    assert (after["owner"], after["owner_instance"]) == ("mylab", "i-1")
    assert dict(after, owner_instance=None) == dict(before, owner_instance=None)


def test_check_mode_reports_the_stamp_without_defining():
    net = lab_network(instance=None)
    conn = FakeConnection(net)
    actions, _network = libvirt_network.ensure_present(FakeModule(check_mode=True), conn, PARAMS)
    assert actions == ["mark with instance i-1"] and conn.defined == []


def marked_metadata():
    """The <metadata> with this lab's mark, as network_xml writes it."""
    return ET.tostring(ET.fromstring(lab_network().xml).find("metadata"), encoding="unicode")


@pytest.mark.parametrize("make, where", [
    (lambda: lab_network(bridge="ovs-br2"), "on bridge 'ovs-br2' (forward bridge)"),
    (lambda: other_network(forward="nat", bridge="virbr0", virtualport=None, metadata=marked_metadata()),
     "on bridge 'virbr0' (forward nat)"),
    (lambda: other_network(virtualport=None, metadata=marked_metadata()),
     "on bridge 'ovs-br1' (forward bridge)"),    # a Linux bridge of the same name
], ids=["other-ovs-bridge", "nat", "linux-bridge"])
def test_a_network_on_another_bridge_is_not_changed_in_place(make, where):
    net = make()
    with pytest.raises(FakeFail) as failure:
        libvirt_network.ensure_present(FakeModule(), FakeConnection(net), PARAMS)
    msg = failure.value.args[0]["msg"]
    assert msg.startswith("libvirt network 'ovs-network-1' is %s, the lab wants Open vSwitch bridge 'ovs-br1'" % where)
    assert "Run the teardown playbook first." in msg
    assert net.calls == []


# ------------------------------------------------------------- portgroups

CHANGED_PORTGROUPS = [{"name": "access-100", "vlan": 100}, {"name": "access-101", "vlan": 201},
                      {"name": "access-102", "vlan": 102}]


def _pg(xml):
    root = ET.fromstring(xml)
    return root.get("name"), [int(t.get("id")) for t in root.findall("vlan/tag")], root.find("vlan").get("trunk")


def test_portgroups_are_deleted_modified_and_added_in_place_on_a_running_network():
    net = lab_network()
    module = FakeModule()
    actions, network = libvirt_network.ensure_present(module, FakeConnection(net),
                                                      params(portgroups=CHANGED_PORTGROUPS))
    assert actions == ["delete portgroup trunk-1", "modify portgroup access-101", "add portgroup access-102"]
    live_and_config = L.VIR_NETWORK_UPDATE_AFFECT_CONFIG | L.VIR_NETWORK_UPDATE_AFFECT_LIVE
    assert [(c[1], c[2], c[3], c[5]) for c in net.calls] == [
        (L.VIR_NETWORK_UPDATE_COMMAND_DELETE, L.VIR_NETWORK_SECTION_PORTGROUP, -1, live_and_config),
        (L.VIR_NETWORK_UPDATE_COMMAND_MODIFY, L.VIR_NETWORK_SECTION_PORTGROUP, -1, live_and_config),
        (L.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, L.VIR_NETWORK_SECTION_PORTGROUP, -1, live_and_config)]
    assert [_pg(c[4]) for c in net.calls] == [("trunk-1", [100, 101, 102], "yes"), ("access-101", [201], None),
                                              ("access-102", [102], None)]
    assert network["portgroups"] == ["access-100", "access-101", "access-102"]
    # Running VMs keep their VLAN until re-attached: said once, naming the network.
    assert len(module.warnings) == 1 and "running network 'ovs-network-1'" in module.warnings[0]


def test_a_stopped_network_gets_its_portgroups_in_the_definition_then_starts():
    net = lab_network(active=False)
    module = FakeModule()
    actions, _network = libvirt_network.ensure_present(module, FakeConnection(net),
                                                       params(portgroups=CHANGED_PORTGROUPS))
    assert actions[-1] == "start" and len(actions) == 4
    assert set(c[5] for c in updates(net)) == {L.VIR_NETWORK_UPDATE_AFFECT_CONFIG}
    assert net.calls[-1] == ("create",)
    assert module.warnings == [], "no VM runs on a stopped network"


def test_check_mode_lists_the_portgroup_changes_start_and_autostart_without_making_them():
    net = lab_network(active=False, autostart=False)
    actions, _network = libvirt_network.ensure_present(FakeModule(check_mode=True), FakeConnection(net),
                                                       params(portgroups=CHANGED_PORTGROUPS))
    assert actions == ["delete portgroup trunk-1", "modify portgroup access-101", "add portgroup access-102",
                       "start", "autostart"]
    assert net.calls == []


def test_a_network_that_stopped_autostarting_is_set_to_autostart_again():
    net = lab_network(autostart=False)
    actions, _network = libvirt_network.ensure_present(FakeModule(), FakeConnection(net), PARAMS)
    assert actions == ["autostart"] and net.calls == [("setAutostart", 1)]


def test_an_update_is_retried_with_command_and_section_swapped():
    net = lab_network(update_bug="swapped")
    xml = lx.portgroup_xml({"name": "access-102", "vlan": 102})
    libvirt_network._update_portgroup(net, L.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, xml, False)
    assert [c[1:3] for c in net.calls] == [
        (L.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, L.VIR_NETWORK_SECTION_PORTGROUP),
        (L.VIR_NETWORK_SECTION_PORTGROUP, L.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST)]
    assert all(c[4] == xml and c[5] == L.VIR_NETWORK_UPDATE_AFFECT_CONFIG for c in net.calls)


def test_an_update_refused_in_both_orders_is_an_error():
    net = lab_network(update_bug="broken")
    with pytest.raises(FakeLibvirtError):
        libvirt_network._update_portgroup(net, L.VIR_NETWORK_UPDATE_COMMAND_DELETE, "<portgroup name='x'/>", True)
    assert len(net.calls) == 2


# ----------------------------------------------------------------- absent

@pytest.mark.parametrize("make, adopt, removed", [
    (lab_network, False, True),
    (lambda: lab_network(instance=None), False, True),       # marked before marks held an instance
    (lambda: lab_network(instance="i-2"), True, True),       # taken over
    (lambda: lab_network(instance="i-2"), False, False),     # another lab of the same name
    (lambda: lab_network(lab="otherlab"), True, False),
    (other_network, False, False),
], ids=["ours", "mark-without-instance", "adopted", "other-instance", "other-lab", "unmarked"])
def test_absent_removes_only_the_labs_own_network(make, adopt, removed):
    net = make()
    module = FakeModule()
    actions = libvirt_network.ensure_absent(module, FakeConnection(net), params(adopt=adopt, state="absent"))
    if removed:
        assert actions == ["destroy", "undefine"] and net.calls == [("destroy",), ("undefine",)]
        assert module.warnings == []
    else:
        assert actions == [] and net.calls == []
        assert len(module.warnings) == 1 and "left untouched" in module.warnings[0]


def test_absent_of_a_stopped_missing_or_check_mode_network():
    net = lab_network(active=False)
    assert libvirt_network.ensure_absent(FakeModule(), FakeConnection(net), PARAMS) == ["undefine"]
    assert net.calls == [("undefine",)]
    assert libvirt_network.ensure_absent(FakeModule(), FakeConnection(), PARAMS) == []
    net = lab_network()
    assert libvirt_network.ensure_absent(FakeModule(check_mode=True), FakeConnection(net), PARAMS) == [
        "destroy", "undefine"]
    assert net.calls == []


# ------------------------------------------------------------------- main

def run_main(monkeypatch, fake_libvirt, conn, check_mode=False, **args):
    """main() with its real argument checks against ``conn``; ("exit" or "fail", result, warnings)."""
    fake_libvirt.conn = conn
    return module_harness.run_main(monkeypatch, libvirt_network, args, check_mode)


def test_main_opens_the_uri_and_reports_what_it_did(monkeypatch, fake_libvirt):
    conn = FakeConnection()
    kind, result, _warnings = run_main(monkeypatch, fake_libvirt, conn, uri="qemu+ssh://virthost/system",
                                       lab="mylab", instance="i-1", name="ovs-network-1", bridge="ovs-br1",
                                       portgroups=PORTGROUPS)
    assert fake_libvirt.opened == ["qemu+ssh://virthost/system"]
    assert kind == "exit" and result["changed"] is True and result["actions"] == ["define", "start", "autostart"]
    assert result["network"]["bridge"] == "ovs-br1" and len(conn.defined) == 1
    kind, result, _warnings = run_main(monkeypatch, fake_libvirt, conn, lab="mylab", instance="i-1",
                                       name="ovs-network-1", bridge="ovs-br1", portgroups=PORTGROUPS)
    assert kind == "exit" and result["changed"] is False and result["actions"] == []
    kind, result, _warnings = run_main(monkeypatch, fake_libvirt, conn, lab="mylab", instance="i-1",
                                       name="ovs-network-1", state="absent")
    assert result == {"changed": True, "actions": ["destroy", "undefine"]}


def test_main_needs_a_bridge_to_make_a_network(monkeypatch, fake_libvirt):
    kind, result, _warnings = run_main(monkeypatch, fake_libvirt, FakeConnection(), lab="mylab",
                                       name="ovs-network-1")
    assert kind == "fail" and result["msg"] == "state is present but all of the following are missing: bridge"
    assert fake_libvirt.opened == []


def test_main_turns_a_libvirt_error_into_a_failure_naming_the_network(monkeypatch, fake_libvirt):
    denied = FakeLibvirtError("access denied: 'network.read'", code=55)
    kind, result, _warnings = run_main(monkeypatch, fake_libvirt, FakeConnection(lookup_error=denied), lab="mylab",
                                       name="ovs-network-1", state="absent")
    assert kind == "fail"
    assert result["msg"] == "libvirt error on network 'ovs-network-1': access denied: 'network.read'"
