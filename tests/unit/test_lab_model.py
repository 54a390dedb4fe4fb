# -*- coding: utf-8 -*-
"""lab_model.normalize: one test per validation rule, plus the normalised result."""

import copy
import json
import re

import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import lab_model
from ansible_collections.labkit.tripleo.plugins.module_utils.lab_model import LabError, normalize

MAC_RE = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")


# ------------------------------------------------------------------ helpers

def _walk(lab, dotted):
    """(container, key) for a dotted path such as 'network.portgroups.0.vlan'."""
    parts = dotted.split(".")
    node = lab
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    return node, (int(last) if isinstance(node, list) else last)


def setp(lab, dotted, value):
    node, key = _walk(lab, dotted)
    node[key] = value
    return lab


def delp(lab, dotted):
    node, key = _walk(lab, dotted)
    del node[key]
    return lab


def errors_of(lab):
    with pytest.raises(LabError) as info:
        normalize(lab)
    assert info.value.errors, "LabError without errors"
    return info.value.errors


def assert_error(lab, path, fragment=None):
    """normalize(lab) fails with an error whose field path is exactly ``path``."""
    errors = errors_of(lab)
    hits = [e for e in errors if e.startswith(path + ": ")]
    assert hits, "expected an error for %s, got %r" % (path, errors)
    if fragment is not None:
        assert any(fragment in e for e in hits), "no %r in %r" % (fragment, hits)
    return errors


def accepted(lab):
    """normalize(lab) succeeds (the passing twin of a failing case)."""
    try:
        return normalize(lab)
    except LabError as exc:  # pragma: no cover - only on failure
        pytest.fail("unexpected errors: %r" % exc.errors)


# ------------------------------------------------------------- the basics

def test_base_description_is_valid(model):
    assert model["name"] == "mylab"
    assert [vm["name"] for vm in model["vms"]] == ["undercloud", "control-1", "compute-1"]


def test_not_a_mapping_is_one_error():
    assert errors_of(["not", "a", "lab"]) == ["lab: must be a mapping, got list"]


def test_lab_error_message_lists_every_error(lab):
    setp(lab, "name", "Bad Name")
    setp(lab, "nodes.0.vcpus", 0)
    with pytest.raises(LabError) as info:
        normalize(lab)
    text = str(info.value)
    assert text.startswith("invalid lab description:")
    for error in info.value.errors:
        assert "  - " + error in text


# ---------------------------------------------------------- unknown keys

@pytest.mark.parametrize("dotted, path", [
    ("colour", "lab.colour"),
    ("network.mtu", "lab.network.mtu"),
    ("network.portgroups.1.mtu", "lab.network.portgroups[1].mtu"),
    ("bmc.passwd", "lab.bmc.passwd"),
    ("libvirt.pool", "lab.libvirt.pool"),
    ("nodes.1.cpus", "lab.nodes[1].cpus"),
    ("undercloud.profile", "lab.undercloud.profile"),
    ("undercloud.bmc_port", "lab.undercloud.bmc_port"),
])
def test_unknown_key_is_rejected(lab, dotted, path):
    lab["libvirt"] = {"uri": "qemu:///system"}
    setp(lab, dotted, 1)
    errors = assert_error(lab, path, "unknown key")
    assert len(errors) == 1, errors


def test_known_optional_keys_are_accepted(lab):
    lab["libvirt"] = {"uri": "qemu:///system", "images_dir": "/srv/images", "domain_type": "qemu"}
    setp(lab, "nodes.1.bmc_port", 7100)
    setp(lab, "network.uplink", "eth1")
    setp(lab, "bmc.firewall_zone", "libvirt")
    accepted(lab)


# ------------------------------------------------------ missing required keys

@pytest.mark.parametrize("dotted, path", [
    ("name", "lab.name"),
    ("network", "lab.network"),
    ("nodes", "lab.nodes"),
    ("network.name", "lab.network.name"),
    ("network.bridge", "lab.network.bridge"),
    ("network.portgroups", "lab.network.portgroups"),
    ("network.portgroups.1.name", "lab.network.portgroups[1].name"),
    ("nodes.0.name", "lab.nodes[0].name"),
    ("nodes.0.profile", "lab.nodes[0].profile"),
    ("nodes.1.vcpus", "lab.nodes[1].vcpus"),
    ("nodes.1.memory_mb", "lab.nodes[1].memory_mb"),
    ("nodes.1.disk_gb", "lab.nodes[1].disk_gb"),
    ("nodes.1.nics", "lab.nodes[1].nics"),
    ("undercloud.vcpus", "lab.undercloud.vcpus"),
])
def test_missing_required_key(lab, dotted, path):
    delp(lab, dotted)
    assert_error(lab, path, "is required")


@pytest.mark.parametrize("dotted", ["bmc", "libvirt", "undercloud", "network.uplink", "network.host_vlan",
                                    "nodes.1.extra_disks_gb", "bmc.port_start", "bmc.username"])
def test_optional_keys_may_be_omitted(lab, dotted):
    lab["libvirt"] = {}
    delp(lab, dotted)
    accepted(lab)


def test_empty_nodes_and_portgroups_and_nics(lab):
    setp(lab, "nodes.1.nics", [])
    assert_error(lab, "lab.nodes[1].nics", "at least one NIC")
    lab2 = copy.deepcopy(lab)
    setp(lab2, "nodes", [])
    assert_error(lab2, "lab.nodes", "at least one")


# ------------------------------------------------------------- wrong types

@pytest.mark.parametrize("dotted, value, path", [
    ("nodes.0.vcpus", "8", "lab.nodes[0].vcpus"),
    ("nodes.0.vcpus", True, "lab.nodes[0].vcpus"),
    ("nodes.0.memory_mb", False, "lab.nodes[0].memory_mb"),
    ("nodes.0.memory_mb", 1024.0, "lab.nodes[0].memory_mb"),
    ("undercloud.disk_gb", "40", "lab.undercloud.disk_gb"),
    ("nodes.1.extra_disks_gb", [10, True], "lab.nodes[1].extra_disks_gb[1]"),
    ("network.host_vlan", "100", "lab.network.host_vlan"),
    ("network.host_vlan", True, "lab.network.host_vlan"),
    ("network.portgroups.1.vlan", True, "lab.network.portgroups[1].vlan"),
    ("network.portgroups.2.trunk", [100, True], "lab.network.portgroups[2].trunk[1]"),
    ("bmc.port_start", "7001", "lab.bmc.port_start"),
    ("bmc.port_start", True, "lab.bmc.port_start"),
    ("nodes.1.bmc_port", True, "lab.nodes[1].bmc_port"),
])
def test_wrong_type_for_integer(lab, dotted, value, path):
    setp(lab, dotted, value)
    assert_error(lab, path, "must be an integer")


@pytest.mark.parametrize("dotted, value, path, fragment", [
    ("network", ["x"], "lab.network", "must be a mapping"),
    ("bmc", "ipmi", "lab.bmc", "must be a mapping"),
    ("nodes", {"control-1": {}}, "lab.nodes", "must be a list"),
    ("nodes.0", "control-1", "lab.nodes[0]", "must be a mapping"),
    ("nodes.0.nics", "access-100", "lab.nodes[0].nics", "must be a list"),
    ("nodes.0.nics.0", 100, "lab.nodes[0].nics[0]", "must be a string"),
    ("network.portgroups.2.trunk", "100,101", "lab.network.portgroups[2].trunk", "must be a list"),
    ("name", 42, "lab.name", "must be a string"),
    ("bmc.allow_from", "10.0.0.0/8", "lab.bmc.allow_from", "must be a list"),
])
def test_wrong_container_or_string_type(lab, dotted, value, path, fragment):
    setp(lab, dotted, value)
    assert_error(lab, path, fragment)


def test_integer_values_are_accepted(lab):
    setp(lab, "nodes.0.vcpus", 1)
    setp(lab, "nodes.1.extra_disks_gb", [1, 2])
    m = accepted(lab)
    assert m["nodes"][0]["vcpus"] == 1


# ----------------------------------------------------- non-positive sizes

@pytest.mark.parametrize("dotted, value, path", [
    ("nodes.0.vcpus", 0, "lab.nodes[0].vcpus"),
    ("nodes.0.memory_mb", -1, "lab.nodes[0].memory_mb"),
    ("nodes.1.disk_gb", 0, "lab.nodes[1].disk_gb"),
    ("undercloud.memory_mb", 0, "lab.undercloud.memory_mb"),
    ("nodes.1.extra_disks_gb", [10, 0], "lab.nodes[1].extra_disks_gb[1]"),
    ("nodes.1.extra_disks_gb", [-5], "lab.nodes[1].extra_disks_gb[0]"),
])
def test_non_positive_size(lab, dotted, value, path):
    setp(lab, dotted, value)
    assert_error(lab, path, "positive")


def test_too_many_extra_disks(lab):
    setp(lab, "nodes.1.extra_disks_gb", [1] * 26)
    assert_error(lab, "lab.nodes[1].extra_disks_gb", "at most 25")
    setp(lab, "nodes.1.extra_disks_gb", [1] * 25)
    m = accepted(lab)
    assert m["nodes"][1]["disks"][-1]["device"] == "z"


# --------------------------------------------------------- duplicate names

def test_duplicate_node_names(lab):
    setp(lab, "nodes.1.name", "control-1")
    errors = assert_error(lab, "lab.nodes[1].name", "duplicate VM name 'control-1'")
    assert any("also lab.nodes[0]" in e for e in errors)
    assert not any(e.startswith("lab.nodes[0].name") for e in errors)


def test_node_named_like_the_undercloud(lab):
    setp(lab, "nodes.0.name", "undercloud")
    errors = assert_error(lab, "lab.nodes[0].name", "duplicate VM name 'undercloud'")
    assert any("also lab.undercloud" in e for e in errors)


def test_node_named_undercloud_without_an_undercloud_is_fine(lab):
    lab["undercloud"] = None
    setp(lab, "nodes.0.name", "undercloud")
    m = accepted(lab)
    assert m["undercloud"] is None
    assert m["nodes"][0]["name"] == "undercloud"


def test_duplicate_portgroup_names(lab):
    setp(lab, "network.portgroups.1.name", "access-100")
    errors = assert_error(lab, "lab.network.portgroups[1].name", "duplicate portgroup name 'access-100'")
    assert any("also lab.network.portgroups[0]" in e for e in errors)


@pytest.mark.parametrize("name", ["bad name", "-lead", "a/b", ""])
def test_bad_portgroup_and_vm_names(lab, name):
    lab2 = copy.deepcopy(lab)
    setp(lab, "network.portgroups.1.name", name)
    assert_error(lab, "lab.network.portgroups[1].name")
    setp(lab2, "nodes.1.name", name)
    assert_error(lab2, "lab.nodes[1].name")


# --------------------------------------------------------------- BMC ports

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


# ------------------------------------------------------------------- VLANs

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


# ------------------------------------------------------------------- NICs

def test_nic_naming_an_undeclared_portgroup(lab):
    setp(lab, "nodes.0.nics.1", "trunk-9")
    errors = assert_error(lab, "lab.nodes[0].nics[1]", "portgroup 'trunk-9' is not declared")
    assert len(errors) == 1


def test_node_without_provisioning_nic(lab):
    setp(lab, "nodes.0.nics", ["trunk-1", "access-101"])
    assert_error(lab, "lab.nodes[0].nics", "no NIC on the provisioning portgroup 'access-100'")


def test_undercloud_without_provisioning_nic(lab):
    setp(lab, "undercloud.nics", ["access-101"])
    assert_error(lab, "lab.undercloud.nics", "provisioning portgroup")


def test_provisioning_nic_need_not_be_first(lab):
    setp(lab, "nodes.0.nics", ["trunk-1", "access-100"])
    m = accepted(lab)
    assert [n["provisioning"] for n in m["nodes"][0]["nics"]] == [False, True]


# -------------------------------------------------------------- portgroups

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


# --------------------------------------------------------------------- BMC

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


# ----------------------------------------------------------------- network

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


# ----------------------------------------------------------------- libvirt

@pytest.mark.parametrize("uri", ["qemu:///session", "qemu+unix:///session"])
def test_session_libvirt_uri_is_rejected(lab, uri):
    lab["libvirt"] = {"uri": uri}
    assert_error(lab, "lab.libvirt.uri", "qemu:///system")


def test_remote_system_uri_is_accepted(lab):
    lab["libvirt"] = {"uri": "qemu+ssh://root@virthost/system"}
    assert accepted(lab)["libvirt"]["uri"] == "qemu+ssh://root@virthost/system"


@pytest.mark.parametrize("images_dir", ["images", "./images", "~/images"])
def test_relative_images_dir(lab, images_dir):
    lab["libvirt"] = {"images_dir": images_dir}
    assert_error(lab, "lab.libvirt.images_dir", "absolute path")


def test_bad_domain_type(lab):
    lab["libvirt"] = {"domain_type": "xen"}
    assert_error(lab, "lab.libvirt.domain_type", "auto, kvm, qemu")


# ---------------------------------------------------------------- lab name

@pytest.mark.parametrize("name", ["MyLab", "my_lab", "-lab", "a" * 33, "", "my lab"])
def test_bad_lab_name(lab, name):
    setp(lab, "name", name)
    assert_error(lab, "lab.name", "not a valid lab name")


@pytest.mark.parametrize("name", ["a", "lab-2", "a" * 32, "0lab"])
def test_good_lab_name(lab, name):
    setp(lab, "name", name)
    assert accepted(lab)["name"] == name


# ------------------------------------------------------ error collection

def test_all_errors_are_collected(lab):
    setp(lab, "name", "Bad Name")
    setp(lab, "nodes.0.vcpus", 0)
    setp(lab, "bmc.address", "0.0.0.0")
    errors = errors_of(lab)
    assert len(errors) == 3, errors
    assert [e.split(":")[0] for e in errors] == ["lab.name", "lab.bmc.address", "lab.nodes[0].vcpus"]


def test_errors_across_many_nodes_are_all_reported(lab):
    for index in range(2):
        setp(lab, "nodes.%d.memory_mb" % index, 0)
        setp(lab, "nodes.%d.disk_gb" % index, "big")
    errors = errors_of(lab)
    assert len(errors) == 4
    assert {e.split(":")[0] for e in errors} == {
        "lab.nodes[0].memory_mb", "lab.nodes[0].disk_gb", "lab.nodes[1].memory_mb", "lab.nodes[1].disk_gb"}


# ----------------------------------------------------------------- password

SECRET = "Sup3rS3cret-pw"


def test_password_is_not_in_the_model(lab):
    setp(lab, "bmc.password", SECRET)
    m = normalize(lab)
    assert m["bmc"]["password_given"] is True
    assert "password" not in m["bmc"]
    assert SECRET not in json.dumps(m)
    assert lab["bmc"]["password"] == SECRET  # the input is not mutated


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


def test_good_password_not_echoed_when_other_fields_fail(lab):
    setp(lab, "bmc.password", SECRET)
    setp(lab, "bmc.username", "bad user")
    setp(lab, "bmc.address", "0.0.0.0")
    with pytest.raises(LabError) as info:
        normalize(lab)
    assert len(info.value.errors) == 2
    assert SECRET not in str(info.value)


# ------------------------------------------------------------ normalisation

def test_defaults_are_filled(model):
    assert model["bmc"] == {"type": "ipmi", "address": "127.0.0.1", "port_start": 7001, "port": None, "username": "admin",
                            "firewall_zone": "public", "allow_from": [], "password_given": False}
    assert model["libvirt"] == {"uri": "qemu:///system", "images_dir": "/var/lib/libvirt/images",
                                "domain_type": "auto", "console_log_dir": "/var/log/libvirt/qemu"}
    net = model["network"]
    assert net["host_port"] == "ovs-br1-host"
    assert net["provisioning_portgroup"] == "access-100"
    assert net["uplink"] is None and net["host_address"] is None
    assert net["portgroups"][0] == {"name": "access-100", "vlan": 100, "trunk": None}
    assert net["portgroups"][2] == {"name": "trunk-1", "vlan": None, "trunk": [100, 101, 102]}
    assert model["undercloud"]["role"] == "undercloud"
    assert [n["role"] for n in model["nodes"]] == ["node", "node"]
    assert [n["profile"] for n in model["nodes"]] == ["control", "compute"]
    assert "profile" not in model["undercloud"]
    for vm in model["vms"]:
        assert "path" not in vm and "disk_gb" not in vm and "extra_disks_gb" not in vm


def test_defaults_when_bmc_and_network_options_are_omitted(lab):
    del lab["bmc"]
    del lab["network"]["host_vlan"]
    m = normalize(lab)
    assert m["bmc"]["port_start"] == 7001 and m["bmc"]["address"] == "127.0.0.1"
    assert m["network"]["host_vlan"] == 100


def test_macs_are_deterministic(lab):
    first = normalize(copy.deepcopy(lab))
    second = normalize(copy.deepcopy(lab))
    assert [n["mac"] for vm in first["vms"] for n in vm["nics"]] == \
        [n["mac"] for vm in second["vms"] for n in vm["nics"]]


def test_macs_are_unique_valid_and_locally_administered_unicast(lab):
    lab["nodes"] += [dict(copy.deepcopy(lab["nodes"][0]), name="control-%d" % i) for i in range(2, 9)]
    m = normalize(lab)
    macs = [n["mac"] for vm in m["vms"] for n in vm["nics"]]
    assert len(macs) == 2 + 2 + 1 + 7 * 2
    assert len(set(macs)) == len(macs)
    for mac in macs:
        assert MAC_RE.match(mac), mac
        first = int(mac.split(":")[0], 16)
        assert first == 0x52
        assert first & 0x01 == 0, "multicast bit set in %s" % mac
        assert first & 0x02 == 0x02, "not locally administered: %s" % mac


def test_macs_depend_on_lab_and_vm_name_and_nic_index(model):
    prefix = lab_model.vm_mac_prefix("mylab", "undercloud")
    assert [n["mac"] for n in model["undercloud"]["nics"]] == [prefix + ":00", prefix + ":01"]
    prefix = lab_model.vm_mac_prefix("mylab", "control-1")
    assert [n["mac"] for n in model["nodes"][0]["nics"]] == [prefix + ":00", prefix + ":01"]
    assert model["nodes"][1]["nics"][0]["mac"] == lab_model.vm_mac_prefix("mylab", "compute-1") + ":00"


def _identity(model):
    return dict((vm["name"], ([n["mac"] for n in vm["nics"]], vm.get("bmc_port"))) for vm in model["vms"])


def _record_of(model):
    return dict((n["name"], n["bmc_port"]) for n in model["nodes"] if not n["bmc_port_given"])


@pytest.mark.parametrize("change", ["remove first", "insert at front", "swap", "drop undercloud"])
def test_identity_survives_list_changes(lab, change):
    lab["nodes"] += [dict(copy.deepcopy(lab["nodes"][1]), name="compute-%d" % i) for i in range(2, 5)]
    before = normalize(lab)
    edited = copy.deepcopy(lab)
    if change == "remove first":
        del edited["nodes"][0]
    elif change == "insert at front":
        edited["nodes"].insert(0, dict(copy.deepcopy(lab["nodes"][1]), name="new-node"))
    elif change == "swap":
        edited["nodes"][1], edited["nodes"][3] = edited["nodes"][3], edited["nodes"][1]
    else:
        edited["undercloud"] = None
    after = normalize(edited, _record_of(before))
    old, new = _identity(before), _identity(after)
    for name in set(old) & set(new):
        assert new[name] == old[name], name
    ports = [n["bmc_port"] for n in after["nodes"]]
    assert len(set(ports)) == len(ports)
    if change == "insert at front":
        # The newcomer takes the lowest free port, not node 0's.
        assert new["new-node"][1] == max(p for _, p in old.values() if p) + 1


def test_removed_nodes_port_is_reused_by_a_later_newcomer(lab):
    before = normalize(lab)
    record = _record_of(before)
    edited = copy.deepcopy(lab)
    edited["nodes"][0] = dict(edited["nodes"][0], name="control-2")
    after = normalize(edited, {"compute-1": record["compute-1"]})
    assert [n["bmc_port"] for n in after["nodes"]] == [record["control-1"], record["compute-1"]]


def test_recorded_port_below_port_start_is_not_kept(lab):
    m = normalize(lab, {"control-1": 6000, "compute-1": 7001})
    assert [n["bmc_port"] for n in m["nodes"]] == [7002, 7001]


def test_mac_collision_is_refused_naming_both_vms(lab, monkeypatch):
    monkeypatch.setattr(lab_model, "vm_mac_prefix", lambda lab_name, vm_name: "52:54:00:00:00")
    with pytest.raises(LabError) as info:
        normalize(lab)
    assert "'undercloud' and 'control-1' would share MAC 52:54:00:00:00:00" in str(info.value)


def test_macs_differ_between_labs(lab):
    other = copy.deepcopy(lab)
    other["name"] = "otherlab"
    macs_a = set(n["mac"] for vm in normalize(lab)["vms"] for n in vm["nics"])
    macs_b = set(n["mac"] for vm in normalize(other)["vms"] for n in vm["nics"])
    assert macs_a and macs_b
    assert not macs_a & macs_b


def test_nics_keep_order_and_flag_provisioning(model):
    nics = model["nodes"][0]["nics"]
    assert [(n["portgroup"], n["provisioning"]) for n in nics] == [("access-100", True), ("trunk-1", False)]


def test_disks_get_devices_and_paths(lab):
    setp(lab, "nodes.1.extra_disks_gb", [100, 200])
    m = normalize(lab)
    assert m["nodes"][1]["disks"] == [
        {"device": "a", "size_gb": 60, "path": "/var/lib/libvirt/images/mylab_compute-1-vda.qcow2"},
        {"device": "b", "size_gb": 100, "path": "/var/lib/libvirt/images/mylab_compute-1-vdb.qcow2"},
        {"device": "c", "size_gb": 200, "path": "/var/lib/libvirt/images/mylab_compute-1-vdc.qcow2"},
    ]
    assert m["undercloud"]["disks"] == [
        {"device": "a", "size_gb": 40, "path": "/var/lib/libvirt/images/mylab_undercloud-vda.qcow2"}]


def test_disk_paths_follow_images_dir_without_trailing_slash(lab):
    lab["libvirt"] = {"images_dir": "/srv/lab-images/"}
    m = normalize(lab)
    assert m["nodes"][0]["disks"][0]["path"] == "/srv/lab-images/mylab_control-1-vda.qcow2"


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


def test_provisioning_portgroup_defaults_to_access_on_host_vlan(lab):
    setp(lab, "network.host_vlan", 101)
    for vm in [lab["undercloud"]] + lab["nodes"]:
        if "access-101" not in vm["nics"]:
            vm["nics"].append("access-101")
    m = normalize(lab)
    assert m["network"]["provisioning_portgroup"] == "access-101"


def test_vlans_is_the_sorted_union(lab):
    lab["network"]["portgroups"] += [{"name": "access-5", "vlan": 5}, {"name": "trunk-2", "trunk": [3000, 5, 101]}]
    m = normalize(lab)
    assert m["network"]["vlans"] == [5, 100, 101, 102, 3000]
    assert m["network"]["portgroups"][4]["trunk"] == [5, 101, 3000]


def test_undercloud_is_optional(lab):
    lab["undercloud"] = None
    m = normalize(lab)
    assert m["undercloud"] is None
    assert [vm["name"] for vm in m["vms"]] == ["control-1", "compute-1"]
    assert m["vms"][0]["nics"][0]["mac"] == lab_model.vm_mac_prefix("mylab", "control-1") + ":00"


def test_undercloud_key_may_be_absent(lab):
    del lab["undercloud"]
    assert normalize(lab)["undercloud"] is None


def test_input_is_not_mutated(lab):
    before = copy.deepcopy(lab)
    normalize(lab)
    assert lab == before


# ------------------------------------------------------- regressions
# Bugs found while writing this suite, fixed; each test failed before the fix.

@pytest.mark.parametrize("dotted, value, path", [
    ("name", "mylab\n", "lab.name"),
    ("network.bridge", "abcdefghijklmno\n", "lab.network.bridge"),  # 16 characters
    ("bmc.username", "admin\n", "lab.bmc.username"),
    ("nodes.0.name", "control-1\n", "lab.nodes[0].name"),
])
def test_trailing_newline_in_a_name_is_rejected(lab, dotted, value, path):
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


@pytest.mark.parametrize("name", [["x"], {"x": 1}])
def test_unhashable_portgroup_name_is_a_clear_error(lab, name):
    lab["network"]["portgroups"].append({"name": name, "vlan": 5})
    assert_error(lab, "lab.network.portgroups[3].name", "must be a string")


def test_more_than_256_vms_are_rejected(lab):
    lab["bmc"]["port_start"] = 2000
    lab["nodes"] = [dict(copy.deepcopy(lab["nodes"][1]), name="n%d" % i) for i in range(256)]
    assert_error(lab, "lab.nodes", "at most 256 VMs")


def test_256_vms_get_valid_macs(lab):
    lab["bmc"]["port_start"] = 2000
    lab["nodes"] = [dict(copy.deepcopy(lab["nodes"][1]), name="n%d" % i) for i in range(255)]
    m = normalize(lab)
    assert len(m["vms"]) == 256
    for vm in m["vms"]:
        for nic in vm["nics"]:
            assert MAC_RE.match(nic["mac"]), nic["mac"]


def test_session_uri_with_query_is_rejected(lab):
    lab["libvirt"] = {"uri": "qemu:///session?socket=/run/user/1000/libvirt/virtqemud-sock"}
    assert_error(lab, "lab.libvirt.uri")


# ------------------------------------------------------------ tripleo section

def test_tripleo_defaults_are_the_reference_undercloud(lab):
    t = accepted(lab)["tripleo"]
    assert t["release"] == "wallaby" and t["introspect"] is True and t["provide"] is True
    u = t["undercloud"]
    assert u["local_ip"] == "192.168.255.1/24" and u["dhcp_start"] == "192.168.255.11"
    assert u["inspection_iprange"] == "192.168.255.51,192.168.255.100" and u["local_mtu"] == 1450
    assert u["scheduler_max_attempts"] == 10
    assert t["deploy"]["stack"] == "overcloud" and t["deploy"]["timeout_minutes"] == 120


def test_scheduler_attempts_default_grows_with_the_nodes(lab):
    lab["nodes"] = [dict(copy.deepcopy(lab["nodes"][1]), name="n%d" % i) for i in range(12)]
    lab["tripleo"] = {"undercloud": {"dhcp_end": "192.168.255.50"}}
    assert accepted(lab)["tripleo"]["undercloud"]["scheduler_max_attempts"] == 12


@pytest.mark.parametrize("dotted, value, path", [
    ("tripleo.release", "rocky", "lab.tripleo.release"),
    ("tripleo.introspect", "yes", "lab.tripleo.introspect"),
    ("tripleo.colour", 1, "lab.tripleo.colour"),
    ("tripleo.undercloud.local_ip", "192.168.255.1", "lab.tripleo.undercloud.local_ip"),
    ("tripleo.undercloud.dhcp_start", "192.168.255.x", "lab.tripleo.undercloud.dhcp_start"),
    ("tripleo.undercloud.inspection_iprange", "192.168.255.51", "lab.tripleo.undercloud.inspection_iprange"),
    ("tripleo.undercloud.undercloud_nameservers", ["8.8.8"], "lab.tripleo.undercloud.undercloud_nameservers[0]"),
    ("tripleo.undercloud.local_mtu", 0, "lab.tripleo.undercloud.local_mtu"),
    ("tripleo.undercloud.masquerade", "true", "lab.tripleo.undercloud.masquerade"),
    ("tripleo.deploy.timeout_minutes", -5, "lab.tripleo.deploy.timeout_minutes"),
    ("tripleo.deploy.libvirt_type", "xen", "lab.tripleo.deploy.libvirt_type"),
    ("tripleo.deploy.environment_files", ["a.yaml", 3], "lab.tripleo.deploy.environment_files[1]"),
])
def test_tripleo_field_errors_name_the_field(lab, dotted, value, path):
    lab["tripleo"] = {"undercloud": {}, "deploy": {}}
    setp(lab, dotted, value)
    assert_error(lab, path)


def test_undercloud_network_rules_apply_in_the_model(lab):
    lab["tripleo"] = {"undercloud": {"inspection_iprange": "192.168.255.40,192.168.255.90"}}
    assert_error(lab, "lab.tripleo.undercloud.inspection_iprange", "overlaps the deploy pool")


def test_host_only_lab_is_not_held_to_the_reference_pools(lab):
    lab["bmc"]["port_start"] = 2000
    lab["nodes"] = [dict(copy.deepcopy(lab["nodes"][1]), name="n%d" % i) for i in range(60)]
    accepted(lab)
    lab["tripleo"] = {}
    assert_error(lab, "lab.tripleo.undercloud.dhcp_start..dhcp_end", "40 addresses for 60 nodes")


# ------------------------------------------------- console logs, checks, agent sizes

def test_every_vm_has_a_console_log_in_the_log_dir(lab):
    model = accepted(lab)
    assert [vm["console_log"] for vm in model["vms"]] == [
        "/var/log/libvirt/qemu/%s-console.log" % vm["name"] for vm in model["vms"]]
    lab["libvirt"] = {"console_log_dir": "/srv/lab-logs/"}
    assert accepted(lab)["nodes"][0]["console_log"] == "/srv/lab-logs/control-1-console.log"


@pytest.mark.parametrize("value", ["relative/dir", "/var/log/x y", "/var/log/../../etc", "/var/log/<x>",
                                   "/var/log/$(id)", 7])
def test_console_log_dir_must_be_a_plain_absolute_path(lab, value):
    lab["libvirt"] = {"console_log_dir": value}
    assert_error(lab, "lab.libvirt.console_log_dir")


def test_checks_default_off(lab):
    assert accepted(lab)["checks"] == {"boot": False, "boot_timeout_seconds": 300}


@pytest.mark.parametrize("dotted, value, path", [
    ("checks.boot", "yes", "lab.checks.boot"),
    ("checks.boot_timeout_seconds", 5, "lab.checks.boot_timeout_seconds"),
    ("checks.boot_timeout_seconds", True, "lab.checks.boot_timeout_seconds"),
    ("checks.colour", 1, "lab.checks.colour"),
])
def test_checks_rules(lab, dotted, value, path):
    lab.setdefault("checks", {})
    assert_error(setp(lab, dotted, value), path)


def test_reference_nodes_are_big_enough_for_the_agent(lab):
    assert accepted(lab)["warnings"] == []


def test_nodes_too_small_for_the_agent_are_named(lab):
    setp(lab, "nodes.1.memory_mb", 512)
    setp(lab, "nodes.0.disk_gb", 2)
    warnings = accepted(lab)["warnings"]
    assert len(warnings) == 2
    assert warnings[0].startswith("lab.nodes[0].disk_gb: 2 GiB is below the 4 GiB")
    assert warnings[1].startswith("lab.nodes[1].memory_mb: 512 MiB is below the 1024 MiB")


def test_tripleo_paths_and_command_prefixes_are_derived_once(lab):
    lab = copy.deepcopy(lab)
    lab["tripleo"] = dict(lab.get("tripleo") or {}, stack_home="/home/stack/", rc_file="/home/stack/my-rc")
    tripleo = normalize(lab)["tripleo"]
    assert tripleo["workdir"] == "/home/stack/labkit-%s" % lab["name"]
    assert tripleo["with_rc"] == ["bash", "-c", '. "$1" && shift && exec "$@"', "_", "/home/stack/my-rc"]
    assert tripleo["with_overcloud_rc"][-1] == "/home/stack/%src" % tripleo["deploy"]["stack"]
