# -*- coding: utf-8 -*-
"""libvirt_domains: what the module decides on top of libvirt_domain_xml and libvirt_conn - define,
redefine on drift, stamp the mark, refuse another lab's domain before any change, prune, start,
remove the lab's domains with their console logs and nothing else. libvirt is
FakeLibvirt with FakeConnection (test_libvirt_conn.py); no daemon is opened."""
import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import libvirt_conn, ownership
from ansible_collections.labkit.tripleo.plugins.module_utils import libvirt_domain_xml as dx
from ansible_collections.labkit.tripleo.plugins.module_utils import libvirt_xml as lx
from ansible_collections.labkit.tripleo.plugins.modules import libvirt_domains

from test_libvirt_conn import Failed, FakeConnection, FakeLibvirt, FakeModule, domain, vm

PARAMS = {"lab": "mylab", "instance": "i-1", "adopt": False, "uri": "qemu:///system", "network": "ovs-network-1",
          "domain_type": "qemu", "vms": [], "running": [], "nic_offloads": True, "prune": False, "state": "present"}


@pytest.fixture(autouse=True)
def fake_libvirt(monkeypatch):
    monkeypatch.setattr(libvirt_conn, "libvirt", FakeLibvirt())


def params(**over):
    return dict(PARAMS, **over)


def actions(results):
    return [(r["name"], r["action"]) for r in results]


def test_new_domains_are_defined_with_the_labs_mark():
    conn = FakeConnection()
    results = libvirt_domains.ensure_present(FakeModule(), conn, params(vms=[vm("n1"), vm("n2")]))
    assert actions(results) == [("n1", "created"), ("n2", "created")]
    assert [lx.mark_of(xml) for xml in conn.defined] == [("mylab", "i-1")] * 2
    assert results[0]["nics"][0]["portgroup"] == "access-100" and results[0]["active"] is False


def test_check_mode_defines_nothing_and_reports_the_specs_nics():
    conn = FakeConnection()
    results = libvirt_domains.ensure_present(FakeModule(check_mode=True), conn, params(vms=[vm("n1")]))
    assert actions(results) == [("n1", "created")] and conn.defined == []
    assert results[0]["nics"] == [{"mac": vm("n1")["nics"][0]["mac"], "network": "ovs-network-1",
                                   "portgroup": "access-100", "target": None}]


def test_another_labs_domain_of_a_vms_name_is_refused_before_any_change():
    conn = FakeConnection(domain(vm("n2"), lab="otherlab"), domain(vm("n3"), instance="i-2"))
    with pytest.raises(Failed) as failed:
        libvirt_domains.ensure_present(FakeModule(), conn, params(vms=[vm("n1"), vm("n2"), vm("n3")]))
    assert failed.value.args[0]["msg"] == (
        "these libvirt domains exist but were not created by lab 'mylab', so nothing was changed: "
        "n2 (owner: lab otherlab, instance i-1), n3 (owner: lab mylab, instance i-2). " + ownership.FOREIGN_HINT + ".")
    assert conn.defined == []
    with pytest.raises(Failed) as failed:
        libvirt_domains.ensure_present(FakeModule(), conn, params(vms=[vm("n2")]))
    assert failed.value.args[0]["msg"].endswith(
        "Rename the VMs in the lab description or remove those domains.")


def test_an_unchanged_domain_is_left_alone_a_drifted_one_redefined_keeping_its_uuid():
    conn = FakeConnection()
    libvirt_domains.ensure_present(FakeModule(), conn, params(vms=[vm("n1"), vm("n2")]))
    conn.domains["n2"].active = True
    module = FakeModule()
    bigger = dict(vm("n2"), vcpus=4)
    results = libvirt_domains.ensure_present(module, conn, params(vms=[vm("n1"), bigger]))
    assert actions(results) == [("n1", "unchanged"), ("n2", "updated")]
    assert results[1]["drift"] == ["vcpus: 2 -> 4"] and results[1]["active"] is True
    assert dx.parse_domain(conn.domains["n2"].xml)["vcpus"] == 4
    assert module.warnings == ["domain n2 is running; its new definition (vcpus: 2 -> 4) applies at its next boot"]


def test_a_domain_marked_without_an_instance_only_gets_the_mark():
    old = domain(vm("n1"), instance=None)
    before = old.xml
    conn = FakeConnection(old)
    results = libvirt_domains.ensure_present(FakeModule(), conn, params(vms=[vm("n1")]))
    assert actions(results) == [("n1", "updated")] and results[0]["drift"] == ["ownership mark: instance i-1"]
    assert conn.defined == [lx.with_mark(before, "mylab", "i-1")]
    assert lx.mark_of(conn.domains["n1"].xml) == ("mylab", "i-1")


def test_prune_removes_the_labs_unlisted_domains_and_their_console_logs_only(tmp_path):
    log = tmp_path / "gone-console.log"
    for path in (log, tmp_path / "gone-console.log.0", tmp_path / "gone-console.log.1"):
        path.write_text("boot\n")
    conn = FakeConnection(domain(vm("gone", console_log=str(log)), active=True), domain(vm("theirs"), lab="otherlab"))
    results = libvirt_domains.ensure_present(FakeModule(), conn, params(vms=[vm("n1")], prune=True))
    assert actions(results) == [("gone", "removed"), ("n1", "created")]
    assert conn.undefined() == ["gone"] and conn.domains["gone"].calls[0] == ("destroy",)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_listed_running_domains_are_started():
    conn = FakeConnection(domain(vm("uc", role="undercloud")))
    results = libvirt_domains.ensure_present(FakeModule(), conn, params(vms=[vm("uc", role="undercloud"), vm("n1")],
                                                                        running=["uc", "n1"]))
    assert actions(results) == [("uc", "started"), ("n1", "created, started")]
    assert all(r["active"] for r in results) and ("create",) in conn.domains["uc"].calls


def test_absent_removes_every_domain_of_the_lab_and_nothing_else(tmp_path):
    log = tmp_path / "b-console.log"
    log.write_text("x")
    conn = FakeConnection(domain(vm("b", console_log=str(log))), domain(vm("a"), instance=None),
                          domain(vm("c"), lab="otherlab"), domain(vm("d"), lab=None))
    results = libvirt_domains.ensure_absent(FakeModule(), conn, PARAMS)
    assert actions(results) == [("a", "removed"), ("b", "removed")]
    assert results[1]["console_log"] == str(log) and not log.exists()
    assert conn.undefined() == ["a", "b"]
    check = FakeConnection(domain(vm("a")))
    assert actions(libvirt_domains.ensure_absent(FakeModule(check_mode=True), check, PARAMS)) == [("a", "removed")]
    assert check.undefined() == []
