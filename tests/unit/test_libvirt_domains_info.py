# -*- coding: utf-8 -*-
"""libvirt_domains_info: the lab's domains read back as libvirt has them (a NIC VirtualBMC left as a
bare bridge port gets its portgroup back by MAC), and a failure naming every missing or foreign
domain; main() run with its real argument checks over FakeLibvirt (test_libvirt_conn.py)."""
from ansible_collections.labkit.tripleo.plugins.module_utils import libvirt_conn
from ansible_collections.labkit.tripleo.plugins.modules import libvirt_domains_info

from module_harness import run_main
from test_libvirt_conn import FakeConnection, FakeLibvirt, domain, vm


def bridged_node():
    """n1 running, as VirtualBMC leaves it: its NIC a bare port of the bridge, network and portgroup gone."""
    node = domain(vm("n1"), active=True)
    node.live = ("<domain type='qemu'><name>n1</name><vcpu>2</vcpu><devices>"
                 "<interface type='bridge'><mac address='%s'/>"
                 "<source bridge='ovs-br1'/><target dev='vnet0'/></interface></devices></domain>"
                 % vm("n1")["nics"][0]["mac"])
    return node


def run(monkeypatch, conn, vms, **args):
    monkeypatch.setattr(libvirt_conn, "libvirt", FakeLibvirt(conn))
    return run_main(monkeypatch, libvirt_domains_info,
                    dict({"lab": "mylab", "instance": "i-1", "network": "ovs-network-1", "vms": vms}, **args))


def test_the_domains_are_read_back_with_their_portgroups(monkeypatch):
    conn = FakeConnection(bridged_node(), domain(vm("n2"), lab="otherlab"))
    kind, result, _warnings = run(monkeypatch, conn, [vm("n1")])
    mac = vm("n1")["nics"][0]["mac"]
    assert kind == "exit" and result["changed"] is False
    assert result["domains"] == [{"name": "n1", "active": True, "console_log": None,
                                  "nics": [{"mac": mac, "network": "ovs-network-1", "portgroup": "access-100",
                                            "target": "vnet0", "offloads": True}]}]
    assert conn.defined == []


def test_missing_and_foreign_domains_are_named(monkeypatch):
    conn = FakeConnection(bridged_node(), domain(vm("n2"), lab="otherlab"))
    kind, result, _warnings = run(monkeypatch, conn, [vm("n1"), vm("n2"), vm("n3")])
    assert kind == "fail"
    assert result["msg"] == ("domains of lab 'mylab' not found as expected: n2 (owner: lab otherlab, "
                             "instance i-1), n3 (not defined). Build the host side first (site.yml).")


def test_a_check_run_lists_the_domains_not_defined_yet_but_still_refuses_a_foreign_one(monkeypatch):
    conn = FakeConnection(bridged_node(), domain(vm("n2"), lab="otherlab"))
    kind, result, _warnings = run(monkeypatch, conn, [vm("n1"), vm("n3")], missing_ok=True)
    assert kind == "exit" and [d["name"] for d in result["domains"]] == ["n1"] and result["missing"] == ["n3"]
    kind, result, _warnings = run(monkeypatch, conn, [vm("n1"), vm("n2"), vm("n3")], missing_ok=True)
    assert kind == "fail" and result["msg"] == ("domains of lab 'mylab' not found as expected: n2 (owner: lab "
                                                "otherlab, instance i-1). Build the host side first (site.yml).")
