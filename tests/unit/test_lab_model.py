# -*- coding: utf-8 -*-
"""lab_model.normalize: the whole description, VMs, names, MACs, disks, identity, checks and agent warnings.

The network, BMC and libvirt rules are in test_lab_network.py, the TripleO section's in
test_lab_tripleo.py; the helpers they share are in lab_description.py.
"""

import copy
import json
import re

import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import lab_model
from ansible_collections.labkit.tripleo.plugins.module_utils.lab_model import LabError, normalize, with_record

from lab_description import SECRET, _record_of, accepted, assert_error, delp, errors_of, setp

MAC_RE = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")


# ----------------------------------------------------------- the basics

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


# --------------------------------------------------------- unknown keys

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


# ------------------------------------------------ missing required keys

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


# ---------------------------------------------------------- wrong types

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


# --------------------------------------------------- non-positive sizes

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


# ------------------------------------------------------ duplicate names

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


@pytest.mark.parametrize("name", ["bad name", "-lead", "a/b", ""])
def test_bad_portgroup_and_vm_names(lab, name):
    lab2 = copy.deepcopy(lab)
    setp(lab, "network.portgroups.1.name", name)
    assert_error(lab, "lab.network.portgroups[1].name")
    setp(lab2, "nodes.1.name", name)
    assert_error(lab2, "lab.nodes[1].name")


# ----------------------------------------------------------------- NICs

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


# ------------------------------------------------------------- lab name

@pytest.mark.parametrize("name", ["MyLab", "my_lab", "-lab", "a" * 33, "", "my lab"])
def test_bad_lab_name(lab, name):
    setp(lab, "name", name)
    assert_error(lab, "lab.name", "not a valid lab name")


@pytest.mark.parametrize("name", ["a", "lab-2", "a" * 32, "0lab"])
def test_good_lab_name(lab, name):
    setp(lab, "name", name)
    assert accepted(lab)["name"] == name


# ----------------------------------------------------- error collection

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


# ------------------------------------------------------------- password

def test_password_is_not_in_the_model(lab):
    setp(lab, "bmc.password", SECRET)
    m = normalize(lab)
    assert m["bmc"]["password_given"] is True
    assert "password" not in m["bmc"]
    assert SECRET not in json.dumps(m)
    assert lab["bmc"]["password"] == SECRET  # the input is not mutated


def test_good_password_not_echoed_when_other_fields_fail(lab):
    setp(lab, "bmc.password", SECRET)
    setp(lab, "bmc.username", "bad user")
    setp(lab, "bmc.address", "0.0.0.0")
    with pytest.raises(LabError) as info:
        normalize(lab)
    assert len(info.value.errors) == 2
    assert SECRET not in str(info.value)


# -------------------------------------------------------- normalisation

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
    after = with_record(normalize(edited), _record_of(before), "")
    old, new = _identity(before), _identity(after)
    for name in set(old) & set(new):
        assert new[name] == old[name], name
    ports = [n["bmc_port"] for n in after["nodes"]]
    assert len(set(ports)) == len(ports)
    if change == "insert at front":
        # The newcomer takes the lowest free port, not node 0's.
        assert new["new-node"][1] == max(p for _unused, p in old.values() if p) + 1


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


# ---------------------------------------------------------- regressions
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


# ------------------------------------ console logs, checks, agent sizes

def test_every_vm_has_a_console_log_in_the_log_dir(lab):
    model = accepted(lab)
    assert [vm["console_log"] for vm in model["vms"]] == [
        "/var/log/libvirt/qemu/%s-console.log" % vm["name"] for vm in model["vms"]]
    lab["libvirt"] = {"console_log_dir": "/srv/lab-logs/"}
    assert accepted(lab)["nodes"][0]["console_log"] == "/srv/lab-logs/control-1-console.log"


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


def test_a_url_image_is_the_one_download_and_a_path_image_none(lab):
    assert normalize(copy.deepcopy(lab))["downloads"] == []
    lab["tripleo"] = {"undercloud_image": "https://example.invalid/centos9.qcow2", "ssh_public_key": "~/.ssh/id.pub",
                      "management": {"address": "10.20.0.5/24", "gateway": "10.20.0.1"}}
    model = normalize(copy.deepcopy(lab))
    assert model["downloads"] == [{"url": "https://example.invalid/centos9.qcow2",
                                   "path": model["undercloud"]["disks"][0]["backing_image"]}]
    assert model["downloads"][0]["path"] == "/var/lib/libvirt/images/mylab_undercloud-base.qcow2"
    lab["tripleo"]["undercloud_image"] = "/srv/images/centos9.qcow2"
    assert normalize(copy.deepcopy(lab))["downloads"] == []
