# -*- coding: utf-8 -*-
"""ovs: OVSDB JSON decoding, state reading and the ovs-vsctl plan."""

import json

import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import ovs

BR_UUID = "3a1b9c6e-0000-4000-8000-000000000001"
P_BR, P_UPLINK, P_HOST, P_OTHER = ("11111111-0000-4000-8000-00000000000%d" % i for i in range(4))

PORT_HEADINGS = ["_uuid", "bond_active_slave", "bond_downdelay", "bond_fake_iface", "bond_mode", "bond_updelay",
                 "cvlans", "external_ids", "fake_bridge", "interfaces", "lacp", "mac", "name", "other_config",
                 "protected", "qos", "rstp_statistics", "rstp_status", "statistics", "status", "tag", "trunks",
                 "vlan_mode"]


def port_row(uuid, name, tag=None, trunks=(), owner=None, iface="aaaaaaaa-0000-4000-8000-000000000000"):
    """One row as ``ovs-vsctl --format=json list Port`` prints it.

    OVSDB JSON prints a one-element set as the bare atom and an empty optional
    column as ``["set", []]``.
    """
    trunks = list(trunks)
    if len(trunks) == 1:
        trunks_json = trunks[0]
    else:
        trunks_json = ["set", trunks]
    ext = ["map", [["labkit-lab", owner]]] if owner else ["map", []]
    values = {
        "_uuid": ["uuid", uuid], "bond_active_slave": ["set", []], "bond_downdelay": 0, "bond_fake_iface": False,
        "bond_mode": ["set", []], "bond_updelay": 0, "cvlans": ["set", []], "external_ids": ext,
        "fake_bridge": False, "interfaces": ["uuid", iface], "lacp": ["set", []], "mac": ["set", []],
        "name": name, "other_config": ["map", []], "protected": False, "qos": ["set", []],
        "rstp_statistics": ["map", []], "rstp_status": ["map", []], "statistics": ["map", []],
        "status": ["map", []], "tag": tag if tag is not None else ["set", []], "trunks": trunks_json,
        "vlan_mode": ["set", []],
    }
    return [values[h] for h in PORT_HEADINGS]


def port_json(*rows):
    return json.dumps({"data": list(rows), "headings": PORT_HEADINGS})


def bridge_json(name, port_uuids, owner=None, datapath_type=""):
    headings = ["_uuid", "datapath_type", "external_ids", "name", "ports"]
    ports = ["uuid", port_uuids[0]] if len(port_uuids) == 1 else ["set", [["uuid", u] for u in port_uuids]]
    ext = ["map", [["labkit-lab", owner]]] if owner else ["map", []]
    return json.dumps({"data": [[["uuid", BR_UUID], datapath_type, ext, name, ports]], "headings": headings})


def interface_json(*pairs):
    headings = ["_uuid", "name", "type"]
    return json.dumps({"data": [[["uuid", "bbbbbbbb-0000-4000-8000-00000000000%d" % i], n, t]
                                for i, (n, t) in enumerate(pairs)], "headings": headings})


DESIRED = {"lab": "mylab", "bridge": "ovs-br1", "datapath_type": "system", "uplink": "eth1",
           "vlans": [102, 100, 101], "host_port": "ovs-br1-host", "host_vlan": 100}


def built_state(uplink_trunks=(100, 101, 102), host_tag=100, bridge_owner="mylab", port_owner="mylab",
                host_type="internal", datapath_type="system"):
    """The state of a bridge this lab built, read through table() and read_state()."""
    bridges = ovs.table(bridge_json("ovs-br1", [P_BR, P_UPLINK, P_HOST], owner=bridge_owner,
                                    datapath_type=datapath_type))
    ports = ovs.table(port_json(port_row(P_BR, "ovs-br1"),
                                port_row(P_UPLINK, "eth1", trunks=uplink_trunks, owner=port_owner),
                                port_row(P_HOST, "ovs-br1-host", tag=host_tag, owner=port_owner)))
    interfaces = ovs.table(interface_json(("ovs-br1", "internal"), ("eth1", ""), ("ovs-br1-host", host_type)))
    return ovs.read_state(bridges, ports, interfaces)


EMPTY = {"bridges": {}, "ports": {}}


# ------------------------------------------------------------------ decode

@pytest.mark.parametrize("value, decoded", [
    (["set", []], []),
    (["set", [100, 101]], [100, 101]),
    (["map", []], {}),
    (["map", [["labkit-lab", "mylab"], ["k", "v"]]], {"labkit-lab": "mylab", "k": "v"}),
    (["uuid", "3a1b"], "3a1b"),
    (["named-uuid", "row0"], "row0"),
    (["set", [["uuid", "a"], ["uuid", "b"]]], ["a", "b"]),
    (["map", [[1, ["uuid", "q"]]]], {1: "q"}),
    (100, 100),
    ("eth1", "eth1"),
    (False, False),
    (["eth1", "eth2"], ["eth1", "eth2"]),  # not an OVSDB tagged value
])
def test_decode(value, decoded):
    assert ovs.decode(value) == decoded


def test_scalar():
    assert ovs.scalar([]) is None
    assert ovs.scalar([100]) == 100
    assert ovs.scalar(100) == 100
    assert ovs.scalar(None) is None


# ------------------------------------------------------------------- table

def test_table_on_list_port_output():
    text = port_json(port_row(P_UPLINK, "eth1", trunks=[100, 101, 102], owner="mylab"),
                     port_row(P_HOST, "ovs-br1-host", tag=100, trunks=[], owner="mylab"),
                     port_row(P_OTHER, "vnet3", trunks=[200]))
    rows = ovs.table(text)
    assert [r["name"] for r in rows] == ["eth1", "ovs-br1-host", "vnet3"]
    assert rows[0]["_uuid"] == P_UPLINK
    assert rows[0]["trunks"] == [100, 101, 102]
    assert rows[0]["tag"] == []
    assert rows[0]["external_ids"] == {"labkit-lab": "mylab"}
    assert rows[1]["tag"] == 100 and rows[1]["trunks"] == []
    assert rows[2]["trunks"] == 200  # one-element set printed as a bare atom
    assert rows[2]["external_ids"] == {}
    assert rows[0]["interfaces"] == "aaaaaaaa-0000-4000-8000-000000000000"
    assert set(rows[0]) == set(PORT_HEADINGS)


def test_table_of_empty_output():
    assert ovs.table(json.dumps({"data": [], "headings": ["_uuid", "name"]})) == []


# -------------------------------------------------------------- read_state

def test_read_state():
    state = built_state()
    assert state["bridges"] == {"ovs-br1": {"datapath_type": "system", "external_ids": {"labkit-lab": "mylab"},
                                            "ports": ["eth1", "ovs-br1", "ovs-br1-host"]}}
    assert state["ports"]["eth1"] == {"bridge": "ovs-br1", "tag": None, "trunks": [100, 101, 102],
                                      "external_ids": {"labkit-lab": "mylab"}, "type": ""}
    assert state["ports"]["ovs-br1-host"] == {"bridge": "ovs-br1", "tag": 100, "trunks": [],
                                              "external_ids": {"labkit-lab": "mylab"}, "type": "internal"}
    assert state["ports"]["ovs-br1"]["external_ids"] == {}


def test_read_state_single_port_bridge_and_single_trunk():
    bridges = ovs.table(bridge_json("br-x", [P_UPLINK]))
    ports = ovs.table(port_json(port_row(P_UPLINK, "eth9", trunks=[300]), port_row(P_OTHER, "elsewhere")))
    state = ovs.read_state(bridges, ports, [])
    assert state["bridges"]["br-x"]["ports"] == ["eth9"]
    assert state["bridges"]["br-x"]["datapath_type"] == ""
    assert state["ports"]["eth9"]["trunks"] == [300]
    assert "elsewhere" not in state["ports"]  # not on any bridge listed


# -------------------------------------------------------------------- plan

def test_plan_fresh_bridge_only():
    desired = dict(DESIRED, uplink=None, host_port=None)
    assert ovs.plan(EMPTY, desired) == [
        ["add-br", "ovs-br1"],
        ["set", "Bridge", "ovs-br1", "datapath_type=system", "external_ids:labkit-lab=mylab"],
    ]


def test_plan_fresh_bridge_with_uplink_and_host_port():
    assert ovs.plan(EMPTY, DESIRED) == [
        ["add-br", "ovs-br1"],
        ["set", "Bridge", "ovs-br1", "datapath_type=system", "external_ids:labkit-lab=mylab"],
        ["add-port", "ovs-br1", "eth1"],
        ["set", "Port", "eth1", "external_ids:labkit-lab=mylab", "tag=[]", "trunks=100,101,102"],
        ["add-port", "ovs-br1", "ovs-br1-host"],
        ["set", "Port", "ovs-br1-host", "external_ids:labkit-lab=mylab", "tag=100", "trunks=[]"],
        ["set", "Interface", "ovs-br1-host", "type=internal"],
    ]


def test_plan_netdev_datapath():
    commands = ovs.plan(EMPTY, dict(DESIRED, datapath_type="netdev", uplink=None, host_port=None))
    assert "datapath_type=netdev" in commands[1]


def test_plan_owned_bridge_with_right_settings_is_empty():
    assert ovs.plan(built_state(), DESIRED) == []


def test_plan_empty_datapath_type_means_system():
    assert ovs.plan(built_state(datapath_type=""), DESIRED) == []
    assert ovs.plan(built_state(datapath_type=""), dict(DESIRED, datapath_type="netdev")) == [
        ["set", "Bridge", "ovs-br1", "datapath_type=netdev"]]


@pytest.mark.parametrize("owner", [None, "otherlab"])
def test_plan_foreign_bridge_conflicts(owner):
    with pytest.raises(ovs.Conflict) as info:
        ovs.plan(built_state(bridge_owner=owner), DESIRED)
    assert "'ovs-br1'" in str(info.value)
    assert (owner or "none") in str(info.value)


def test_plan_uplink_trunks_drift():
    assert ovs.plan(built_state(uplink_trunks=[100, 101]), DESIRED) == [
        ["set", "Port", "eth1", "trunks=100,101,102"]]


def test_plan_host_port_tag_drift():
    assert ovs.plan(built_state(host_tag=200), DESIRED) == [["set", "Port", "ovs-br1-host", "tag=100"]]


def test_plan_host_port_untagged_drift():
    assert ovs.plan(built_state(host_tag=None), DESIRED) == [["set", "Port", "ovs-br1-host", "tag=100"]]


def test_plan_host_port_interface_type_drift():
    assert ovs.plan(built_state(host_type=""), DESIRED) == [["set", "Interface", "ovs-br1-host", "type=internal"]]


def test_plan_port_on_another_bridge_conflicts():
    state = {"bridges": {}, "ports": {"eth1": {"bridge": "br-ex", "tag": None, "trunks": [], "external_ids": {},
                                               "type": ""}}}
    with pytest.raises(ovs.Conflict) as info:
        ovs.plan(state, DESIRED)
    assert "'eth1'" in str(info.value) and "'br-ex'" in str(info.value)


def test_plan_port_not_added_by_the_lab_conflicts():
    with pytest.raises(ovs.Conflict) as info:
        ovs.plan(built_state(port_owner="otherlab"), DESIRED)
    assert "not added by lab 'mylab'" in str(info.value)


def test_plan_missing_uplink_on_owned_bridge_is_added():
    state = built_state()
    del state["ports"]["eth1"]
    assert ovs.plan(state, DESIRED) == [
        ["add-port", "ovs-br1", "eth1"],
        ["set", "Port", "eth1", "external_ids:labkit-lab=mylab", "tag=[]", "trunks=100,101,102"]]


def test_settings_words():
    assert ovs.settings_words({"trunks": [1, 2], "tag": None}) == ["tag=[]", "trunks=1,2"]
    assert ovs.settings_words({"trunks": [], "tag": 7}) == ["tag=7", "trunks=[]"]


# ------------------------------------------------------------- transaction

def test_transaction_joins_with_double_dash():
    assert ovs.transaction([["add-br", "b"], ["set", "Bridge", "b", "x=y"], ["add-port", "b", "p"]]) == [
        "add-br", "b", "--", "set", "Bridge", "b", "x=y", "--", "add-port", "b", "p"]


def test_transaction_edge_cases():
    assert ovs.transaction([]) == []
    assert ovs.transaction([["add-br", "b"]]) == ["add-br", "b"]


def test_transaction_of_a_real_plan():
    argv = ovs.transaction(ovs.plan(EMPTY, DESIRED))
    assert argv.count("--") == 6
    assert argv[:3] == ["add-br", "ovs-br1", "--"]
