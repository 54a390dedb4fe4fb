# -*- coding: utf-8 -*-
"""libvirt_xml: the ownership mark of libvirt objects, network XML and parsing it back, portgroup changes.
Domains are tested in test_libvirt_domain_xml.py."""

import copy
import xml.etree.ElementTree as ET

from ansible_collections.labkit.tripleo.plugins.module_utils import libvirt_xml as lx

UUID = "6f1f4f2e-3c55-4a8e-9d35-5d0c2b6d7a10"


# ---------------------------------------------------------------- networks

def test_network_round_trip(model):
    net = model["network"]
    text = lx.network_xml("mylab", net["name"], net["bridge"], net["portgroups"], uuid=UUID, instance="i-1")
    parsed = lx.parse_network(text)
    assert parsed == {
        "name": "ovs-network-1",
        "uuid": UUID,
        "owner": "mylab",
        "owner_instance": "i-1",
        "bridge": "ovs-br1",
        "forward": "bridge",
        "openvswitch": True,
        "portgroups": {
            "access-100": {"name": "access-100", "vlan": 100, "trunk": None},
            "access-101": {"name": "access-101", "vlan": 101, "trunk": None},
            "trunk-1": {"name": "trunk-1", "vlan": None, "trunk": [100, 101, 102]},
        },
    }


def test_network_xml_shape(model):
    net = model["network"]
    root = ET.fromstring(lx.network_xml("mylab", net["name"], net["bridge"], net["portgroups"]))
    assert root.find("uuid") is None
    assert root.find("virtualport").get("type") == "openvswitch"
    trunk = root.find("portgroup[@name='trunk-1']/vlan")
    assert trunk.get("trunk") == "yes"
    assert [t.get("id") for t in trunk.findall("tag")] == ["100", "101", "102"]
    access = root.find("portgroup[@name='access-101']/vlan")
    assert access.get("trunk") is None
    assert [t.get("id") for t in access.findall("tag")] == ["101"]


def test_owner_mark():
    libvirt_style = (
        "<network><name>default</name>"
        "<metadata><labkit:owner xmlns:labkit='http://labkit.dev/ns/tripleo/1' lab='otherlab'/></metadata>"
        "</network>")
    assert lx.mark_of(libvirt_style) == ("otherlab", None)
    assert lx.mark_of("<network><name>default</name></network>") == (None, None)
    # Same local name in another namespace is not the mark.
    assert lx.mark_of("<network><metadata><x:owner xmlns:x='urn:other' lab='mylab'/></metadata></network>") == (None, None)


def test_parse_foreign_linux_bridge_network():
    parsed = lx.parse_network("<network><name>default</name><forward mode='nat'/>"
                              "<bridge name='virbr0' stp='on'/></network>")
    assert parsed["owner"] is None
    assert parsed["forward"] == "nat"
    assert parsed["openvswitch"] is False
    assert parsed["portgroups"] == {}


def test_portgroup_changes_add_modify_delete(model):
    net = model["network"]
    current = lx.parse_network(lx.network_xml("mylab", net["name"], net["bridge"], net["portgroups"]))["portgroups"]
    desired = [
        {"name": "access-100", "vlan": 100, "trunk": None},        # unchanged
        {"name": "access-101", "vlan": 201, "trunk": None},        # vlan changed
        {"name": "access-102", "vlan": 102, "trunk": None},        # new
    ]
    add, modify, delete = lx.portgroup_changes(current, desired)
    assert add == [{"name": "access-102", "vlan": 102, "trunk": None}]
    assert modify == [{"name": "access-101", "vlan": 201, "trunk": None}]
    assert delete == [{"name": "trunk-1", "vlan": None, "trunk": [100, 101, 102]}]


def test_portgroup_changes_trunk_membership_and_kind(model):
    net = model["network"]
    current = lx.parse_network(lx.network_xml("mylab", net["name"], net["bridge"], net["portgroups"]))["portgroups"]
    desired = copy.deepcopy(net["portgroups"])
    desired[2]["trunk"] = [100, 101, 102, 103]
    desired[1] = {"name": "access-101", "vlan": None, "trunk": [101]}
    add, modify, delete = lx.portgroup_changes(current, desired)
    assert add == [] and delete == []
    assert sorted(pg["name"] for pg in modify) == ["access-101", "trunk-1"]


def test_portgroup_changes_nothing_for_same_portgroups(model):
    net = model["network"]
    current = lx.parse_network(lx.network_xml("mylab", net["name"], net["bridge"], net["portgroups"]))["portgroups"]
    assert lx.portgroup_changes(current, net["portgroups"]) == ([], [], [])


def test_owner_metadata_holds_lab_instance_and_role():
    root = ET.Element("domain")
    lx.owner_metadata(root, "mylab", role="node", instance="i-1")
    owner = root.find("metadata/" + lx.OWNER_TAG)
    assert (owner.get("lab"), owner.get("instance"), owner.get("role")) == ("mylab", "i-1", "node")
    bare = ET.Element("network")
    lx.owner_metadata(bare, "mylab")
    assert dict(bare.find("metadata/" + lx.OWNER_TAG).attrib) == {"lab": "mylab"}
    assert lx.mark_of(lx.to_string(bare)) == ("mylab", None)
    assert lx.to_string(bare) == ('<network xmlns:labkit="http://labkit.dev/ns/tripleo/1"><metadata>'
                                  '<labkit:owner lab="mylab" /></metadata></network>')
