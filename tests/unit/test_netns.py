# -*- coding: utf-8 -*-
"""VlanNamespace decisions (what it refuses, what it removes) against a recorded ovs-vsctl/ip."""

from ansible_collections.labkit.tripleo.plugins.module_utils import netns


class Host(object):
    """Answers the commands VlanNamespace runs, from a small description of the host."""

    def __init__(self, bridge=True, port_mark=None, port=False, links=("lo",)):
        self.bridge, self.port_mark, self.port, self.links = bridge, port_mark, port, links
        self.calls = []

    def __call__(self, argv):
        self.calls.append(argv)
        if argv[:2] == ["ovs-vsctl", "br-exists"]:
            return (0 if self.bridge else 2), "", ""
        if argv[:4] == ["ovs-vsctl", "--if-exists", "get", "Port"]:
            if not self.port:
                return 0, "", ""
            if argv[-1] == "name":
                return 0, '"%s"\n' % argv[4], ""
            if self.port_mark is None:
                return 1, "", "ovs-vsctl: no key \"labkit-lab\" in Port record \"x\" external_ids column"
            return 0, '"%s"\n' % self.port_mark, ""
        if argv[:4] == ["ip", "-n", "ns1", "-o"]:
            return 0, "".join("%d: %s: <UP> mtu 1500\n" % (i, name) for i, name in enumerate(self.links, 1)), ""
        return 0, "", ""


def space(host, exists=False, monkeypatch=None):
    if monkeypatch is not None:
        monkeypatch.setattr(netns.VlanNamespace, "exists", lambda self: exists)
    return netns.VlanNamespace(host, "ns1", "br0", "lkbc0", 100, "lab1")


def test_preflight_passes_on_a_clean_host(monkeypatch):
    assert space(Host(), monkeypatch=monkeypatch).preflight() is None


def test_missing_bridge_is_refused(monkeypatch):
    assert "does not exist" in space(Host(bridge=False), monkeypatch=monkeypatch).preflight()


def test_a_port_of_that_name_without_the_mark_is_refused(monkeypatch):
    assert "not the boot check's" in space(Host(port=True), monkeypatch=monkeypatch).preflight()
    assert "not the boot check's" in space(Host(port=True, port_mark="lab2"), monkeypatch=monkeypatch).preflight()


def test_the_labs_own_port_left_by_a_killed_run_is_fine(monkeypatch):
    assert space(Host(port=True, port_mark="lab1"), monkeypatch=monkeypatch).preflight() is None


def test_a_namespace_holding_other_interfaces_is_refused(monkeypatch):
    why = space(Host(links=("lo", "lkbc0", "eth9@if3")), exists=True, monkeypatch=monkeypatch).preflight()
    assert why and "eth9" in why and "lkbc0" not in why


def test_remove_deletes_only_the_labs_own_port(monkeypatch):
    host = Host(port=True, port_mark="lab2")
    space(host, monkeypatch=monkeypatch).remove()
    assert not [c for c in host.calls if "del-port" in c]
    host = Host(port=True, port_mark="lab1")
    space(host, exists=True, monkeypatch=monkeypatch).remove()
    assert ["ovs-vsctl", "--if-exists", "del-port", "lkbc0"] in host.calls
    assert ["ip", "netns", "delete", "ns1"] in host.calls


def test_create_marks_tags_and_moves_the_port(monkeypatch):
    host = Host()
    space(host, monkeypatch=monkeypatch).create("192.168.24.1/24")
    add = [c for c in host.calls if "add-port" in c][0]
    assert "tag=100" in add and "type=internal" in add and "external_ids:labkit-lab=lab1" in add
    assert ["ip", "link", "set", "dev", "lkbc0", "netns", "ns1"] in host.calls
    assert ["ip", "-n", "ns1", "addr", "add", "192.168.24.1/24", "dev", "lkbc0"] in host.calls
    # The address goes on only after the port is inside the namespace.
    assert host.calls.index(["ip", "link", "set", "dev", "lkbc0", "netns", "ns1"]) < \
        host.calls.index(["ip", "-n", "ns1", "addr", "add", "192.168.24.1/24", "dev", "lkbc0"])
