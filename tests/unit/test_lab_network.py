# -*- coding: utf-8 -*-
"""lab_network through lab_model.normalize: the network, portgroups and VLANs, the BMCs and their ports, libvirt."""

import copy

import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils.lab_model import LabError, normalize, with_record

from lab_description import SECRET, _record_of, accepted, assert_error, setp


# ------------------------------------------------------------ BMC ports

def test_explicit_bmc_port_is_skipped_by_assigned_ports(lab):
    # compute-1 asks for 7001: control-1, which has no port of its own, takes the next free one.
    setp(lab, "nodes.1.bmc_port", 7001)
    m = accepted(lab)
    assert [n["bmc_port"] for n in m["nodes"]] == [7002, 7001]
    assert [n["bmc_port_given"] for n in m["nodes"]] == [False, True]


def test_two_explicit_bmc_ports_colliding(lab):
    setp(lab, "nodes.0.bmc_port", 7002)
    setp(lab, "nodes.1.bmc_port", 7002)
    assert_error(lab, "lab.nodes[1].bmc_port", "7002 is already used by lab.nodes[0]")


def test_distinct_explicit_bmc_port_is_accepted(lab):
    setp(lab, "nodes.1.bmc_port", 7005)
    m = accepted(lab)
    assert [n["bmc_port"] for n in m["nodes"]] == [7001, 7005]


@pytest.mark.parametrize("dotted, value, path", [
    ("bmc.port_start", 1023, "lab.bmc.port_start"),
    ("bmc.port_start", 65536, "lab.bmc.port_start"),
    ("bmc.port_start", 0, "lab.bmc.port_start"),
    ("nodes.0.bmc_port", 623, "lab.nodes[0].bmc_port"),
    ("nodes.0.bmc_port", 70000, "lab.nodes[0].bmc_port"),
])
def test_bmc_port_out_of_range(lab, dotted, value, path):
    setp(lab, dotted, value)
    assert_error(lab, path, "between 1024 and 65535")


@pytest.mark.parametrize("dotted, value", [("bmc.port_start", 1024), ("nodes.0.bmc_port", 65535),
                                           ("nodes.0.bmc_port", 1024)])
def test_bmc_port_range_boundaries_are_accepted(lab, dotted, value):
    setp(lab, dotted, value)
    accepted(lab)


def test_port_start_plus_index_overflowing(lab):
    setp(lab, "bmc.port_start", 65535)
    errors = assert_error(lab, "lab.nodes[1].bmc_port", "no free port from lab.bmc.port_start 65535 to 65535")
    assert not any(e.startswith("lab.nodes[0].bmc_port") for e in errors)


def test_port_start_plus_index_at_the_limit(lab):
    setp(lab, "bmc.port_start", 65534)
    m = accepted(lab)
    assert [n["bmc_port"] for n in m["nodes"]] == [65534, 65535]


def test_bmc_ports_are_assigned_from_port_start(lab):
    lab["nodes"].append(dict(copy.deepcopy(lab["nodes"][1]), name="compute-2"))
    setp(lab, "bmc.port_start", 6230)
    m = normalize(lab)
    assert [n["bmc_port"] for n in m["nodes"]] == [6230, 6231, 6232]
    assert "bmc_port" not in m["undercloud"]


def test_explicit_bmc_port_overrides_only_its_node(lab):
    lab["nodes"].append(dict(copy.deepcopy(lab["nodes"][1]), name="compute-2"))
    setp(lab, "nodes.1.bmc_port", 7100)
    m = normalize(lab)
    assert [n["bmc_port"] for n in m["nodes"]] == [7001, 7100, 7002]


def test_removed_nodes_port_is_reused_by_a_later_newcomer(lab):
    before = normalize(lab)
    record = _record_of(before)
    edited = copy.deepcopy(lab)
    edited["nodes"][0] = dict(edited["nodes"][0], name="control-2")
    after = with_record(normalize(edited), {"compute-1": record["compute-1"]}, "")
    assert [n["bmc_port"] for n in after["nodes"]] == [record["control-1"], record["compute-1"]]


def test_recorded_port_below_port_start_is_not_kept(lab):
    m = with_record(normalize(lab), {"control-1": 6000, "compute-1": 7001}, "")
    assert [n["bmc_port"] for n in m["nodes"]] == [7002, 7001]


def test_record_is_applied_to_the_validated_model_without_changing_it(lab):
    lab["nodes"].append(dict(copy.deepcopy(lab["nodes"][1]), name="compute-2", bmc_port=7100))
    model = normalize(lab)
    untouched = copy.deepcopy(model)
    recorded = with_record(model, {"control-1": 7005, "compute-1": 7001, "gone": 7002}, "i-1", adopt=True)
    assert model == untouched
    assert [n["bmc_port"] for n in recorded["nodes"]] == [7005, 7001, 7100]
    assert (recorded["instance"], recorded["adopt"]) == ("i-1", True)
    assert (model["instance"], model["adopt"]) == ("", False)
    # Every role reads a node from "vms" as much as from "nodes": both carry the recorded port.
    assert [vm["bmc_port"] for vm in recorded["vms"] if vm["role"] == "node"] == [7005, 7001, 7100]


def test_record_port_taken_by_a_nodes_own_port_goes_to_the_lowest_free(lab):
    setp(lab, "nodes.1.bmc_port", 7001)
    model = with_record(normalize(lab), {"control-1": 7001}, "")
    assert [n["bmc_port"] for n in model["nodes"]] == [7002, 7001]


def test_redfish_model_keeps_its_one_port_whatever_the_record(lab):
    setp(lab, "bmc.type", "redfish")
    model = with_record(normalize(lab), {"control-1": 7005}, "i-1")
    assert set(node["bmc_port"] for node in model["nodes"]) == {8000}


def test_record_that_leaves_no_free_port_names_the_nodes(lab):
    setp(lab, "bmc.port_start", 65535)
    setp(lab, "nodes.1.bmc_port", 7000)
    model = normalize(lab)
    # A hand-edited model whose own ports take the last free one: the recorded node is left without.
    model["nodes"][1]["bmc_port"] = 65535
    with pytest.raises(LabError) as error:
        with_record(model, {"control-1": 65535}, "")
    assert "lab.nodes" in str(error.value) and "control-1" in str(error.value)


# ---------------------------------------------------------------- VLANs

@pytest.mark.parametrize("dotted, value, path", [
    ("network.portgroups.1.vlan", 0, "lab.network.portgroups[1].vlan"),
    ("network.portgroups.1.vlan", 4095, "lab.network.portgroups[1].vlan"),
    ("network.portgroups.2.trunk", [100, 4095], "lab.network.portgroups[2].trunk[1]"),
    ("network.portgroups.2.trunk", [0, 100], "lab.network.portgroups[2].trunk[0]"),
    ("network.host_vlan", 0, "lab.network.host_vlan"),
    ("network.host_vlan", 4095, "lab.network.host_vlan"),
])
def test_vlan_out_of_range(lab, dotted, value, path):
    setp(lab, dotted, value)
    assert_error(lab, path, "between 1 and 4094")


def test_vlan_boundaries_are_accepted(lab):
    setp(lab, "network.portgroups.1.vlan", 4094)
    setp(lab, "network.portgroups.2.trunk", [4094, 1])
    m = accepted(lab)
    assert m["network"]["portgroups"][2]["trunk"] == [1, 4094]
    assert m["network"]["vlans"] == [1, 100, 4094]


def test_host_vlan_boundary_is_accepted(lab):
    setp(lab, "network.host_vlan", 1)
    setp(lab, "network.portgroups.0.vlan", 1)
    assert accepted(lab)["network"]["provisioning_portgroup"] == "access-100"


def test_trunk_listing_a_vlan_twice_or_empty(lab):
    setp(lab, "network.portgroups.2.trunk", [100, 101, 100])
    assert_error(lab, "lab.network.portgroups[2].trunk", "twice")
    setp(lab, "network.portgroups.2.trunk", [])
    assert_error(lab, "lab.network.portgroups[2].trunk", "at least one VLAN")


def test_vlans_is_the_sorted_union(lab):
    lab["network"]["portgroups"] += [{"name": "access-5", "vlan": 5}, {"name": "trunk-2", "trunk": [3000, 5, 101]}]
    m = normalize(lab)
    assert m["network"]["vlans"] == [5, 100, 101, 102, 3000]
    assert m["network"]["portgroups"][4]["trunk"] == [5, 101, 3000]


# ----------------------------------------------------------- portgroups

def test_duplicate_portgroup_names(lab):
    setp(lab, "network.portgroups.1.name", "access-100")
    errors = assert_error(lab, "lab.network.portgroups[1].name", "duplicate portgroup name 'access-100'")
    assert any("also lab.network.portgroups[0]" in e for e in errors)


@pytest.mark.parametrize("name", [["x"], {"x": 1}])
def test_unhashable_portgroup_name_is_a_clear_error(lab, name):
    lab["network"]["portgroups"].append({"name": name, "vlan": 5})
    assert_error(lab, "lab.network.portgroups[3].name", "must be a string")


@pytest.mark.parametrize("portgroup", [
    {"name": "both", "vlan": 5, "trunk": [5, 6]},
    {"name": "neither"},
])
def test_portgroup_needs_exactly_one_of_vlan_and_trunk(lab, portgroup):
    lab["network"]["portgroups"].append(portgroup)
    assert_error(lab, "lab.network.portgroups[3]", "exactly one of 'vlan'")


def test_empty_portgroups(lab):
    setp(lab, "network.portgroups", [])
    assert_error(lab, "lab.network.portgroups", "at least one portgroup")


def test_provisioning_portgroup_naming_a_trunk(lab):
    setp(lab, "network.provisioning_portgroup", "trunk-1")
    assert_error(lab, "lab.network.provisioning_portgroup", "'trunk-1' is a trunk")


def test_provisioning_portgroup_naming_an_unknown_portgroup(lab):
    setp(lab, "network.provisioning_portgroup", "pxe")
    assert_error(lab, "lab.network.provisioning_portgroup", "'pxe', which is not declared")


def test_no_access_portgroup_on_host_vlan(lab):
    setp(lab, "network.host_vlan", 102)  # only the trunk carries 102
    assert_error(lab, "lab.network.provisioning_portgroup", "host_vlan 102")


def test_explicit_provisioning_portgroup_overrides_the_default(lab):
    setp(lab, "network.provisioning_portgroup", "access-101")
    for vm in [lab["undercloud"]] + lab["nodes"]:
        vm["nics"] = vm["nics"] + ["access-101"] if "access-101" not in vm["nics"] else vm["nics"]
    m = accepted(lab)
    assert m["network"]["provisioning_portgroup"] == "access-101"
    for vm in m["vms"]:
        assert [n["portgroup"] for n in vm["nics"] if n["provisioning"]] == ["access-101"]


def test_provisioning_portgroup_defaults_to_access_on_host_vlan(lab):
    setp(lab, "network.host_vlan", 101)
    for vm in [lab["undercloud"]] + lab["nodes"]:
        if "access-101" not in vm["nics"]:
            vm["nics"].append("access-101")
    m = normalize(lab)
    assert m["network"]["provisioning_portgroup"] == "access-101"


# ------------------------------------------------------------------ BMC

@pytest.mark.parametrize("address", ["0.0.0.0", "::", "0:0::0"])
def test_unspecified_bmc_address_is_rejected(lab, address):
    setp(lab, "bmc.address", address)
    assert_error(lab, "lab.bmc.address", "concrete address")


@pytest.mark.parametrize("address", ["localhost", "300.1.1.1", "127.0.0.1/8", "", 127])
def test_bad_bmc_address(lab, address):
    setp(lab, "bmc.address", address)
    assert_error(lab, "lab.bmc.address")


@pytest.mark.parametrize("address, normalised", [("::1", "::1"), ("0:0::1", "::1"),
                                                 ("192.168.122.1", "192.168.122.1")])
def test_good_bmc_address_is_normalised(lab, address, normalised):
    setp(lab, "bmc.address", address)
    assert accepted(lab)["bmc"]["address"] == normalised


def test_unsupported_bmc_type(lab):
    setp(lab, "bmc.type", "idrac")
    assert_error(lab, "lab.bmc.type", "'idrac' is not supported")


def test_redfish_serves_every_node_on_one_port(lab):
    setp(lab, "bmc.type", "redfish")
    model = accepted(lab)
    assert model["bmc"]["port"] == 8000
    assert set(node["bmc_port"] for node in model["nodes"]) == {8000}


def test_redfish_port_is_checked(lab):
    setp(lab, "bmc.type", "redfish")
    setp(lab, "bmc.port", 70000)
    assert_error(lab, "lab.bmc.port")


def test_redfish_refuses_a_node_port(lab):
    setp(lab, "bmc.type", "redfish")
    lab["nodes"][1]["bmc_port"] = 7005
    assert_error(lab, "lab.nodes[1].bmc_port", "Redfish serves every node on lab.bmc.port")


def test_bmc_port_is_only_for_redfish(lab):
    setp(lab, "bmc.port", 8000)
    assert_error(lab, "lab.bmc.port", "only for type redfish")


@pytest.mark.parametrize("username", ["", "with space", "x" * 17])
def test_bad_bmc_username(lab, username):
    setp(lab, "bmc.username", username)
    assert_error(lab, "lab.bmc.username")


def test_allow_from_bad_entry(lab):
    setp(lab, "bmc.allow_from", ["10.0.0.0/8", "nope", 7])
    errors = assert_error(lab, "lab.bmc.allow_from[1]", "'nope' is not an address or network")
    assert any(e.startswith("lab.bmc.allow_from[2]: must be a string") for e in errors)
    assert not any(e.startswith("lab.bmc.allow_from[0]") for e in errors)


def test_allow_from_is_normalised_to_networks(lab):
    setp(lab, "bmc.allow_from", ["10.1.2.3/8", "192.168.1.7", "fd00::1/64"])
    m = accepted(lab)
    assert m["bmc"]["allow_from"] == ["10.0.0.0/8", "192.168.1.7/32", "fd00::/64"]


def test_defaults_when_bmc_and_network_options_are_omitted(lab):
    del lab["bmc"]
    del lab["network"]["host_vlan"]
    m = normalize(lab)
    assert m["bmc"]["port_start"] == 7001 and m["bmc"]["address"] == "127.0.0.1"
    assert m["network"]["host_vlan"] == 100


# --------------------------------------------------------- BMC password

def test_password_given_is_false_without_password(model):
    assert model["bmc"]["password_given"] is False
    assert "password" not in model["bmc"]


@pytest.mark.parametrize("password", ["has a space " + SECRET, SECRET * 2, ""])
def test_bad_password_is_reported_without_its_value(lab, password):
    setp(lab, "bmc.password", password)
    with pytest.raises(LabError) as info:
        normalize(lab)
    assert [e.split(":")[0] for e in info.value.errors] == ["lab.bmc.password"]
    if password:
        assert password not in str(info.value)
        assert SECRET not in str(info.value)
        assert SECRET not in repr(info.value.errors)


# -------------------------------------------------------------- network

@pytest.mark.parametrize("address, fragment", [
    ("192.168.255.200", "needs a prefix length"),
    ("192.168.255.200/33", "not an address with prefix length"),
    ("not-an-address/24", "not an address with prefix length"),
])
def test_bad_host_address(lab, address, fragment):
    setp(lab, "network.host_address", address)
    assert_error(lab, "lab.network.host_address", fragment)


@pytest.mark.parametrize("address", ["192.168.255.200/24", "fd00::200/64"])
def test_good_host_address(lab, address):
    setp(lab, "network.host_address", address)
    assert accepted(lab)["network"]["host_address"] == address


def test_bridge_name_longer_than_15_characters(lab):
    setp(lab, "network.bridge", "b" * 16)
    assert_error(lab, "lab.network.bridge", "at most 15")


def test_bridge_name_of_14_characters_is_accepted(lab):
    setp(lab, "network.bridge", "b" * 14)
    m = accepted(lab)
    assert m["network"]["bridge"] == "b" * 14
    # The default host port keeps its "-host" suffix, so it never equals the bridge name.
    assert m["network"]["host_port"] == "b" * 10 + "-host"


@pytest.mark.parametrize("dotted, value, path", [
    ("network.bridge", "ovs br", "lab.network.bridge"),
    ("network.uplink", "eth/1", "lab.network.uplink"),
    ("network.host_port", "x" * 16, "lab.network.host_port"),
    ("network.name", "-net", "lab.network.name"),
])
def test_bad_interface_and_network_names(lab, dotted, value, path):
    setp(lab, dotted, value)
    assert_error(lab, path)


def test_15_character_bridge_gets_a_distinct_host_port(lab):
    setp(lab, "network.bridge", "ovs-br-tripleo1")  # exactly 15 characters
    try:
        m = normalize(lab)
    except LabError as exc:
        assert any(e.startswith("lab.network.") for e in exc.errors)
    else:
        assert m["network"]["host_port"] != m["network"]["bridge"]


def test_host_port_equal_to_bridge_is_rejected(lab):
    setp(lab, "network.host_port", "ovs-br1")
    assert_error(lab, "lab.network.host_port")


# -------------------------------------------------------------- libvirt

@pytest.mark.parametrize("uri", ["qemu:///session", "qemu+unix:///session"])
def test_session_libvirt_uri_is_rejected(lab, uri):
    lab["libvirt"] = {"uri": uri}
    assert_error(lab, "lab.libvirt.uri", "qemu:///system")


def test_remote_system_uri_is_accepted(lab):
    lab["libvirt"] = {"uri": "qemu+ssh://root@virthost/system"}
    assert accepted(lab)["libvirt"]["uri"] == "qemu+ssh://root@virthost/system"


def test_session_uri_with_query_is_rejected(lab):
    lab["libvirt"] = {"uri": "qemu:///session?socket=/run/user/1000/libvirt/virtqemud-sock"}
    assert_error(lab, "lab.libvirt.uri")


@pytest.mark.parametrize("images_dir", ["images", "./images", "~/images"])
def test_relative_images_dir(lab, images_dir):
    lab["libvirt"] = {"images_dir": images_dir}
    assert_error(lab, "lab.libvirt.images_dir", "absolute path")


def test_bad_domain_type(lab):
    lab["libvirt"] = {"domain_type": "xen"}
    assert_error(lab, "lab.libvirt.domain_type", "auto, kvm, qemu")


@pytest.mark.parametrize("value", ["relative/dir", "/var/log/x y", "/var/log/../../etc", "/var/log/<x>",
                                   "/var/log/$(id)", 7])
def test_console_log_dir_must_be_a_plain_absolute_path(lab, value):
    lab["libvirt"] = {"console_log_dir": value}
    assert_error(lab, "lab.libvirt.console_log_dir")
