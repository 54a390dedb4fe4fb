# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: lab_model
short_description: Validate and normalise a lab description
version_added: "0.1.0"
description:
  - Checks the C(lab) variable against every rule of the lab description and returns the
    normalised model that all roles consume (defaults filled in, disk paths, MACs derived
    from lab and VM name, BMC ports, the provisioning portgroup).
  - "Fails with every problem listed, each naming its field, for example
    C(lab.nodes[2].nics[0]: portgroup 'x' is not declared in lab.network.portgroups)."
  - The BMC password is never part of the model; C(bmc.password_given) says whether one was given.
  - Nodes without a port of their own are on the lowest free ports until the filter
    C(labkit.tripleo.lab_model_recorded) gives them the ports the lab record kept for them.
options:
  _input:
    description: The lab description.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Validate and normalise the lab description
  ansible.builtin.set_fact:
    lab_model: "{{ lab | labkit.tripleo.lab_model }}"

# Once the lab record is read (module labkit.tripleo.lab_record): the same model, not validated
# again, with the record's BMC ports (bmc_ports, by node name; those nodes keep them), its
# instance id (instance, for every ownership mark) and adopt (take over another instance's objects).
- name: Give every node its recorded BMC port
  ansible.builtin.set_fact:
    lab_model: "{{ lab_model | labkit.tripleo.lab_model_recorded(lab_record.bmc_ports, lab_record.instance, lab_adopt) }}"
"""

RETURN = r"""
_value:
  description: The normalised lab model.
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.labkit.tripleo.plugins.module_utils import deploy_command
from ansible_collections.labkit.tripleo.plugins.module_utils import instackenv as instackenv_utils
from ansible_collections.labkit.tripleo.plugins.module_utils import lab_record
from ansible_collections.labkit.tripleo.plugins.module_utils import pxe_responder
from ansible_collections.labkit.tripleo.plugins.module_utils import undercloud_conf as undercloud_conf_utils
from ansible_collections.labkit.tripleo.plugins.module_utils import undercloud_commands as undercloud_commands_utils
from ansible_collections.labkit.tripleo.plugins.module_utils.lab_checks import LabError, check_public_key
from ansible_collections.labkit.tripleo.plugins.module_utils.lab_model import normalize, with_record
from ansible_collections.labkit.tripleo.plugins.module_utils.tripleo_release import release as release_info


def lab_model(lab):
    try:
        return normalize(lab)
    except LabError as exc:
        raise AnsibleFilterError(str(exc))


def lab_model_recorded(model, bmc_ports, instance, adopt=False):
    try:
        return with_record(model, bmc_ports, instance, adopt)
    except LabError as exc:
        raise AnsibleFilterError(str(exc))


def lab_public_key(text):
    """The SSH public key line for the undercloud, or an error naming lab.tripleo.ssh_public_key."""
    try:
        return check_public_key(text)
    except LabError as exc:
        raise AnsibleFilterError(str(exc))


def bmc_endpoints(model):
    """One entry per overcloud node: what vbmc and ipmitool need (no password)."""
    return [{"name": node["name"], "address": model["bmc"]["address"], "port": node["bmc_port"]}
            for node in model["nodes"]]


def lab_without_secrets(lab):
    """The lab description without any key naming a password (for the lab record)."""
    return lab_record.without_secrets(lab)


def port_ranges(ports):
    """[7001, 7002, 7003, 7005] -> ['7001-7003', '7005'], for firewall rules."""
    ranges = []
    for port in sorted(set(ports)):
        if ranges and ranges[-1][1] == port - 1:
            ranges[-1][1] = port
        else:
            ranges.append([port, port])
    return [str(a) if a == b else "%d-%d" % (a, b) for a, b in ranges]


def provisioning_mac(nics, model):
    """MAC of the first NIC on the provisioning portgroup (the one a node PXE-boots from)."""
    portgroup = model["network"]["provisioning_portgroup"]
    return next((n["mac"] for n in nics if n["portgroup"] == portgroup), None)


def lab_summary(model, domains, virthost, virthost_name, artifacts_dir):
    """The lab as built: what later phases (instackenv.json) and users read.

    MACs come from ``domains`` (the libvirt_domains result, read back from
    libvirt), never from the model, so the summary shows what really exists.
    """
    by_name = dict((d["name"], d) for d in domains)
    ports = dict((n["name"], n["bmc_port"]) for n in model["nodes"])
    vms = []
    for vm in model["vms"]:
        nics = [{"portgroup": n["portgroup"], "mac": n["mac"]} for n in by_name.get(vm["name"], {}).get("nics", [])]
        macs = {}
        for nic in nics:
            macs.setdefault(nic["portgroup"], []).append(nic["mac"])
        entry = {
            "name": vm["name"],
            "role": vm["role"],
            "profile": vm.get("profile"),
            "vcpus": vm["vcpus"],
            "memory_mb": vm["memory_mb"],
            "disks": [{"device": "vd" + d["device"], "path": d["path"], "size_gb": d["size_gb"]} for d in vm["disks"]],
            "nics": nics,
            "macs_by_portgroup": macs,
            "provisioning_mac": provisioning_mac(nics, model),
            "console_log": vm["console_log"],
            "power": ("on" if by_name[vm["name"]]["active"] else "off")
            if "active" in by_name.get(vm["name"], {}) else None,
            "bmc": None,
        }
        if vm["name"] in ports:
            entry["bmc"] = {"type": model["bmc"]["type"], "address": model["bmc"]["address"], "port": ports[vm["name"]]}
        vms.append(entry)
    return {
        "lab": model["name"],
        "virthost": virthost_name,
        "libvirt_uri": model["libvirt"]["uri"],
        "domain_type": virthost["domain_type"],
        "domain_type_reason": virthost["domain_type_reason"],
        "network": {
            "name": model["network"]["name"],
            "bridge": model["network"]["bridge"],
            "provisioning_portgroup": model["network"]["provisioning_portgroup"],
            "host_address": model["network"]["host_address"],
            "host_vlan": model["network"]["host_vlan"],
            "portgroups": model["network"]["portgroups"],
        },
        "bmc": {
            "type": model["bmc"]["type"],
            "address": model["bmc"]["address"],
            "username": model["bmc"]["username"],
            "password": "given in lab.bmc.password" if model["bmc"]["password_given"]
            else "generated, in %s/bmc-password" % artifacts_dir,
        },
        "vms": vms,
    }


def instackenv(model, domains, password):
    """instackenv.json of the lab's overcloud nodes, with MACs as libvirt reports them."""
    by_name = dict((d["name"], d) for d in domains)
    nodes = []
    for node in model["nodes"]:
        nics = by_name.get(node["name"], {}).get("nics", [])
        nodes.append({
            "name": node["name"], "profile": node["profile"], "vcpus": node["vcpus"],
            "memory_mb": node["memory_mb"], "disk_gb": node["disks"][0]["size_gb"],
            "provisioning_mac": provisioning_mac(nics, model),
            "bmc": {"address": model["bmc"]["address"], "port": node["bmc_port"]},
        })
    bmc = {"type": model["bmc"]["type"], "username": model["bmc"]["username"], "password": password}
    try:
        return instackenv_utils.build(nodes, model["tripleo"]["release"], bmc)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


def boot_check_plan(model):
    """VLAN, responder address and pool, and every node's expected MAC, console log and BMC."""
    return pxe_responder.plan(model)


def node_hardware(model):
    """What inspection should find on each node: CPUs, memory, root disk size."""
    return [{"name": n["name"], "vcpus": n["vcpus"], "memory_mb": n["memory_mb"], "disk_gb": n["disks"][0]["size_gb"]}
            for n in model["nodes"]]


def boot_check_report(result, model):
    return pxe_responder.report(result, model)


def tripleo_release(name):
    """What a TripleO release expects (pm_type, deploy style, flavors...)."""
    try:
        return release_info(name)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


def undercloud_conf(model):
    """undercloud.conf text for the lab's release, after every check."""
    tripleo = model["tripleo"]
    try:
        undercloud_conf_utils.check(tripleo["undercloud"], len(model["nodes"]))
        return undercloud_conf_utils.render(tripleo["undercloud"], tripleo["release"])
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


def deploy_plan(model, domain_type, workdir):
    """Files and commands of the overcloud deploy; libvirt type follows the virthost."""
    deploy = dict(model["tripleo"]["deploy"], workdir=workdir, openstack=model["tripleo"]["openstack_command"])
    if deploy["libvirt_type"] == "auto":
        # Overcloud nodes are VMs: their own guests can use KVM only if the nodes got vmx/svm.
        deploy["libvirt_type"] = "kvm" if domain_type == "kvm" else "qemu"
    try:
        return deploy_command.plan(model["tripleo"]["release"], model["nodes"], deploy)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc))


def deploy_reproducer(commands, log, rc_file):
    return deploy_command.reproducer(commands, log, rc_file)


def undercloud_commands(model, images_dir):
    """The undercloud phase's openstack commands (argv lists) by purpose."""
    ceph = any(node["profile"] == "ceph-storage" for node in model["nodes"])
    return undercloud_commands_utils.commands(model["tripleo"]["undercloud"], images_dir,
                                              release_info(model["tripleo"]["release"]), ceph,
                                              model["tripleo"]["openstack_command"])


def undercloud_seed(model, ssh_public_key):
    """cloud-init NoCloud documents for the lab's undercloud VM.

    The provisioning NIC is named eth0 (undercloud.conf's local_interface) and left
    unconfigured for the undercloud install; the management NIC is eth1, with the
    management address, so Ansible can reach the VM.
    """
    vm, tripleo = model["undercloud"], model["tripleo"]
    fqdn = tripleo["undercloud"]["undercloud_hostname"]
    management = tripleo["management"]
    provisioning = [n for n in vm["nics"] if n["provisioning"]][0]
    ethernets = {"eth0": {"match": {"macaddress": provisioning["mac"]}, "set-name": "eth0", "dhcp4": False}}
    if vm["management_mac"]:
        eth1 = {"match": {"macaddress": vm["management_mac"]}, "set-name": "eth1", "dhcp4": False,
                "addresses": [management["address"]]}
        if management["gateway"]:
            eth1["routes"] = [{"to": "0.0.0.0/0", "via": management["gateway"]}]
        if management["nameservers"]:
            eth1["nameservers"] = {"addresses": management["nameservers"]}
        ethernets["eth1"] = eth1
    return {
        "meta_data": {"instance-id": "%s-%s" % (model["name"], vm["name"]), "local-hostname": fqdn.split(".")[0]},
        "user_data": {
            "hostname": fqdn.split(".")[0],
            "fqdn": fqdn,
            "ssh_pwauth": False,
            "disable_root": True,
            "users": [{"name": tripleo["stack_user"], "gecos": "TripleO stack user", "shell": "/bin/bash",
                       "sudo": "ALL=(ALL) NOPASSWD:ALL", "lock_passwd": True,
                       "ssh_authorized_keys": [ssh_public_key.strip()]}],
        },
        "network_config": {"version": 2, "ethernets": ethernets},
    }


class FilterModule(object):
    def filters(self):
        return {"lab_model": lab_model, "lab_model_recorded": lab_model_recorded,
                "lab_public_key": lab_public_key, "bmc_endpoints": bmc_endpoints, "port_ranges": port_ranges,
                "lab_without_secrets": lab_without_secrets,
                "lab_summary": lab_summary, "instackenv": instackenv,
                "tripleo_release": tripleo_release, "undercloud_conf": undercloud_conf,
                "deploy_plan": deploy_plan, "deploy_reproducer": deploy_reproducer,
                "undercloud_seed": undercloud_seed, "undercloud_commands": undercloud_commands,
                "boot_check_plan": boot_check_plan, "boot_check_report": boot_check_report,
                "node_hardware": node_hardware}
