# -*- coding: utf-8 -*-
"""filter plugin lab: lab_model, bmc_endpoints, port_ranges, lab_summary."""

import copy
import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.labkit.tripleo.plugins.filter import lab as lab_filters
from ansible_collections.labkit.tripleo.plugins.module_utils.lab_model import normalize
from ansible_collections.labkit.tripleo.plugins.module_utils import overcloud_state

SECRET = "Sup3rS3cret-pw"
VIRTHOST = {"domain_type": "kvm", "domain_type_reason": "the CPU has vmx and /dev/kvm exists"}


@pytest.mark.parametrize("ports, ranges", [
    ([7001, 7002, 7003, 7005], ["7001-7003", "7005"]),
    ([7005, 7001, 7003, 7002, 7001], ["7001-7003", "7005"]),
    ([6230], ["6230"]),
    ([], []),
    ([1, 3, 5], ["1", "3", "5"]),
    ([10, 11, 20, 21, 22], ["10-11", "20-22"]),
])
def test_port_ranges(ports, ranges):
    assert lab_filters.port_ranges(ports) == ranges


def test_filters_are_registered():
    filters = lab_filters.FilterModule().filters()
    assert set(filters) == {"lab_model", "lab_model_recorded", "bmc_endpoints", "port_ranges", "lab_without_secrets", "lab_summary", "instackenv",
                            "tripleo_release", "undercloud_conf", "deploy_plan", "deploy_reproducer",
                            "undercloud_seed", "undercloud_commands", "boot_check_plan",
                            "boot_check_report", "node_hardware", "lab_public_key"}
    assert filters["port_ranges"] is lab_filters.port_ranges


def test_lab_model_filter_returns_the_model(lab):
    assert lab_filters.lab_model(lab) == normalize(copy.deepcopy(lab))


def test_lab_model_recorded_filter_applies_the_record_and_raises_a_filter_error(lab):
    model = lab_filters.lab_model(lab)
    automatic = [n["name"] for n in model["nodes"] if not n["bmc_port_given"]]
    recorded = lab_filters.lab_model_recorded(model, {automatic[0]: 7009}, "i-1", True)
    assert recorded["nodes"][0]["bmc_port"] == 7009 and recorded["instance"] == "i-1" and recorded["adopt"]
    model["nodes"][1]["bmc_port"] = 65535
    model["nodes"][1]["bmc_port_given"] = True
    model["bmc"]["port_start"] = 65535
    with pytest.raises(AnsibleFilterError, match="lab.nodes: no free BMC port"):
        lab_filters.lab_model_recorded(model, {}, "")


def test_lab_model_filter_raises_with_field_path(lab):
    lab["nodes"][1]["nics"] = ["access-100", "nope"]
    lab["bmc"]["port_start"] = 80
    with pytest.raises(AnsibleFilterError) as info:
        lab_filters.lab_model(lab)
    message = str(info.value)
    assert "lab.nodes[1].nics[1]: portgroup 'nope' is not declared" in message
    assert "lab.bmc.port_start:" in message


def test_lab_model_filter_does_not_echo_password(lab):
    lab["bmc"]["password"] = SECRET + " with spaces"
    with pytest.raises(AnsibleFilterError) as info:
        lab_filters.lab_model(lab)
    assert "lab.bmc.password" in str(info.value)
    assert SECRET not in str(info.value)


def test_bmc_endpoints(lab):
    lab["bmc"]["address"] = "192.168.122.1"
    lab["bmc"]["password"] = SECRET
    lab["nodes"][1]["bmc_port"] = 7010
    endpoints = lab_filters.bmc_endpoints(normalize(lab))
    assert endpoints == [{"name": "control-1", "address": "192.168.122.1", "port": 7001},
                         {"name": "compute-1", "address": "192.168.122.1", "port": 7010}]
    assert SECRET not in json.dumps(endpoints)


# --------------------------------------------------------------- lab_summary

def domains_for(model, mac_of):
    """A libvirt_domains result whose MACs come from ``mac_of(vm_index, nic_index)``."""
    result = []
    for vm_index, vm in enumerate(model["vms"]):
        result.append({"name": vm["name"], "action": "unchanged", "drift": [], "active": True,
                       "nics": [{"mac": mac_of(vm_index, nic_index), "network": "ovs-network-1",
                                 "portgroup": nic["portgroup"], "target": "vnet%d%d" % (vm_index, nic_index)}
                                for nic_index, nic in enumerate(vm["nics"])]})
    return result


@pytest.fixture
def secret_model(lab):
    lab["bmc"]["password"] = SECRET
    return normalize(lab)


def reported_mac(vm_index, nic_index):
    return "52:54:00:ee:%02x:%02x" % (vm_index, nic_index)


def test_lab_summary_uses_macs_from_domains(secret_model):
    domains = domains_for(secret_model, reported_mac)
    model_macs = set(n["mac"] for vm in secret_model["vms"] for n in vm["nics"])
    assert not model_macs & set(n["mac"] for d in domains for n in d["nics"])  # really different
    summary = lab_filters.lab_summary(secret_model, domains, VIRTHOST, "virthost-1", "/tmp/artifacts")
    by_name = dict((vm["name"], vm) for vm in summary["vms"])
    control = by_name["control-1"]
    assert control["nics"] == [{"portgroup": "access-100", "mac": "52:54:00:ee:01:00"},
                               {"portgroup": "trunk-1", "mac": "52:54:00:ee:01:01"}]
    assert control["provisioning_mac"] == "52:54:00:ee:01:00"
    assert control["macs_by_portgroup"] == {"access-100": ["52:54:00:ee:01:00"], "trunk-1": ["52:54:00:ee:01:01"]}
    assert by_name["undercloud"]["provisioning_mac"] == "52:54:00:ee:00:00"
    dumped = json.dumps(summary)
    assert [mac for mac in model_macs if mac in dumped] == []


def test_lab_summary_provisioning_mac_is_on_provisioning_portgroup_not_first_nic(lab):
    lab["nodes"][0]["nics"] = ["trunk-1", "access-101", "access-100"]
    model = normalize(lab)
    summary = lab_filters.lab_summary(model, domains_for(model, reported_mac), VIRTHOST, "vh", "/a")
    control = next(vm for vm in summary["vms"] if vm["name"] == "control-1")
    assert control["provisioning_mac"] == "52:54:00:ee:01:02"


def test_lab_summary_missing_domain_has_no_nics(secret_model):
    domains = [d for d in domains_for(secret_model, reported_mac) if d["name"] != "compute-1"]
    summary = lab_filters.lab_summary(secret_model, domains, VIRTHOST, "vh", "/a")
    compute = next(vm for vm in summary["vms"] if vm["name"] == "compute-1")
    assert compute["nics"] == [] and compute["provisioning_mac"] is None and compute["macs_by_portgroup"] == {}


def test_lab_summary_bmc_and_fields(secret_model):
    summary = lab_filters.lab_summary(secret_model, domains_for(secret_model, reported_mac), VIRTHOST,
                                      "virthost-1", "/tmp/artifacts")
    assert summary["lab"] == "mylab" and summary["virthost"] == "virthost-1"
    assert summary["domain_type"] == "kvm"
    assert summary["network"]["provisioning_portgroup"] == "access-100"
    by_name = dict((vm["name"], vm) for vm in summary["vms"])
    assert by_name["undercloud"]["bmc"] is None
    assert by_name["control-1"]["bmc"] == {"type": "ipmi", "address": "127.0.0.1", "port": 7001}
    assert by_name["compute-1"]["bmc"]["port"] == 7002
    assert by_name["control-1"]["disks"] == [
        {"device": "vda", "path": "/var/lib/libvirt/images/mylab_control-1-vda.qcow2", "size_gb": 60}]
    assert summary["bmc"]["password"] == "given in lab.bmc.password"


def test_lab_summary_never_contains_the_password(secret_model):
    summary = lab_filters.lab_summary(secret_model, domains_for(secret_model, reported_mac), VIRTHOST,
                                      "virthost-1", "/tmp/artifacts")
    assert SECRET not in json.dumps(summary)


def test_lab_summary_generated_password_points_to_artifacts(model):
    summary = lab_filters.lab_summary(model, domains_for(model, reported_mac), VIRTHOST, "vh", "/srv/artifacts")
    assert summary["bmc"]["password"] == "generated, in /srv/artifacts/bmc-password"


def test_undercloud_seed_names_nics_by_mac_and_configures_only_management(lab):
    lab["tripleo"] = {"undercloud_image": "/srv/images/centos9.qcow2", "ssh_public_key": "~/.ssh/id.pub",
                      "management": {"address": "10.20.0.5/24", "gateway": "10.20.0.1", "nameservers": ["10.20.0.1"]}}
    model = lab_filters.lab_model(lab)
    seed = lab_filters.undercloud_seed(model, "ssh-ed25519 AAAAkey user@host\n")
    vm = model["undercloud"]
    eth = seed["network_config"]["ethernets"]
    assert eth["eth0"] == {"match": {"macaddress": vm["nics"][0]["mac"]}, "set-name": "eth0", "dhcp4": False}
    assert eth["eth1"]["match"]["macaddress"] == vm["nics"][1]["mac"] == vm["management_mac"]
    assert eth["eth1"]["addresses"] == ["10.20.0.5/24"]
    assert eth["eth1"]["routes"] == [{"to": "0.0.0.0/0", "via": "10.20.0.1"}]
    user = seed["user_data"]["users"][0]
    assert user["name"] == "stack" and user["ssh_authorized_keys"] == ["ssh-ed25519 AAAAkey user@host"]
    assert seed["user_data"]["fqdn"] == "undercloud.openstack.rnd" and seed["user_data"]["ssh_pwauth"] is False
    assert seed["meta_data"] == {"instance-id": "mylab-undercloud", "local-hostname": "undercloud"}
    assert vm["seed"] == "/var/lib/libvirt/images/mylab_undercloud-seed.iso"
    assert vm["disks"][0]["backing_image"] == "/srv/images/centos9.qcow2"


def test_undercloud_image_needs_a_key_and_a_management_address(lab):
    lab["tripleo"] = {"undercloud_image": "https://example.invalid/centos9.qcow2"}
    with pytest.raises(AnsibleFilterError) as err:
        lab_filters.lab_model(lab)
    assert "lab.tripleo.ssh_public_key: is required" in str(err.value)
    assert "lab.tripleo.management.address: is required" in str(err.value)


def test_node_hardware_is_what_inspection_should_find(model):
    assert lab_filters.node_hardware(model) == [
        {"name": "control-1", "vcpus": 8, "memory_mb": 32768, "disk_gb": 60},
        {"name": "compute-1", "vcpus": 12, "memory_mb": 32768, "disk_gb": 60}]


def test_lab_without_secrets_drops_every_password_key():
    lab = {"name": "l", "bmc": {"password": "s3cret", "username": "admin"},
           "undercloud": {"admin_password": "x", "extra": {"Password_hint": "y", "keep": 1}}, "nodes": [{"name": "n"}]}
    clean = lab_filters.lab_without_secrets(lab)
    assert "s3cret" not in repr(clean) and "admin_password" not in repr(clean) and "Password_hint" not in repr(clean)
    assert clean["bmc"] == {"username": "admin"} and clean["nodes"] == [{"name": "n"}]
    assert lab["bmc"]["password"] == "s3cret"  # the description itself is untouched


def test_the_lab_files_are_every_disk_the_seed_and_the_base_image(lab):
    assert lab_filters.lab_model(lab)["files"] == sorted(
        d["path"] for vm in lab_filters.lab_model(lab)["vms"] for d in vm["disks"])
    lab["tripleo"] = {"undercloud_image": "https://example.invalid/centos9.qcow2", "ssh_public_key": "~/.ssh/id.pub",
                      "management": {"address": "10.20.0.5/24", "gateway": "10.20.0.1"}}
    model = lab_filters.lab_model(lab)
    undercloud = model["undercloud"]
    assert undercloud["seed"] in model["files"] and undercloud["disks"][0]["backing_image"] in model["files"]
    assert all(d["path"] in model["files"] for vm in model["vms"] for d in vm["disks"])
    assert len(model["files"]) == len(set(model["files"]))


def test_the_openstack_command_reaches_every_phase(lab):
    """lab.tripleo.openstack_command is the first word of every openstack command the phases run."""
    lab["tripleo"] = dict(lab.get("tripleo") or {}, openstack_command="/opt/osc/bin/openstack", release="zed")
    model = lab_filters.lab_model(lab)
    firsts = set()
    for argv in lab_filters.undercloud_commands(model, "/home/stack/images").values():
        firsts.add(argv[0])
    for argv in overcloud_state.commands(model["tripleo"]["openstack_command"]).values():
        firsts.add(argv[0])
    for argv in lab_filters.deploy_plan(model, "qemu", "/home/stack/labkit-x")["commands"]:
        firsts.add(argv[0])
    # tripleo-repos is not an openstack command.
    assert firsts == {"/opt/osc/bin/openstack", "tripleo-repos"}
