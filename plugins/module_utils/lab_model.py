# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab description: validated and normalised once, consumed by every role.

Pure Python on purpose (no Ansible imports beyond this collection's own
module_utils) so that the filter plugin, the modules and the unit tests share
exactly one implementation.  Every error names
the offending field by its path (``lab.nodes[2].nics[0]``) and all errors are
collected, so a user fixes a description in one round trip.

This file holds the whole (``normalize``) and the VMs; the checks every part shares are
in ``lab_checks``, the network, BMC and libvirt settings in ``lab_network``, the TripleO
settings in ``lab_tripleo``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import hashlib

from ansible_collections.labkit.tripleo.plugins.module_utils.lab_checks import (
    LAB_NAME_RE, NAME_RE, REQUIRED, Checker, LabError, refuse_control_characters, type_name)
from ansible_collections.labkit.tripleo.plugins.module_utils.lab_network import (
    BMC_PORT_MAX, assign_bmc_ports, assign_node_bmc_ports, exposure_warnings, normalize_bmc,
    normalize_libvirt, normalize_network)
from ansible_collections.labkit.tripleo.plugins.module_utils.lab_tripleo import normalize_tripleo

DISK_DEVICES = "abcdefghijklmnopqrstuvwxyz"
MAX_VMS = 256
# What a node needs to be inspected and deployed by Ironic's agent: the agent ramdisk unpacks
# to ~400 MB in RAM (1024 MiB was enough in the bare-metal proof), and the agent refuses root
# disks under 4 GiB ("no suitable root device"), so a smaller node inspects but never deploys.
AGENT_MIN_MEMORY_MB = 1024
AGENT_MIN_DISK_GB = 4
# The boot check waits this long for every node at once (TCG guests reach iPXE in ~30 s).
BOOT_CHECK_TIMEOUT = 300


TOP_SCHEMA = {
    "name": REQUIRED,
    "network": REQUIRED,
    "bmc": {},
    "libvirt": {},
    "undercloud": None,
    "nodes": REQUIRED,
    "tripleo": {},
    "checks": {},
}
CHECKS_SCHEMA = {
    "boot": False,
    "boot_timeout_seconds": BOOT_CHECK_TIMEOUT,
}
VM_SCHEMA = {
    "name": REQUIRED,
    "vcpus": REQUIRED,
    "memory_mb": REQUIRED,
    "disk_gb": REQUIRED,
    "nics": REQUIRED,
    "extra_disks_gb": [],
}
NODE_SCHEMA = dict(VM_SCHEMA, profile=REQUIRED, bmc_port=None)


def vm_mac_prefix(lab_name, vm_name):
    """Five bytes that depend on the lab and the VM's name only, never on list position.

    Adding, removing or reordering VMs leaves every other VM's MACs as they were.
    The first octet 0x52 is locally administered and unicast, as qemu's own
    52:54:00 is; three bytes of a hash of lab and VM name follow, and the last
    octet is the NIC's index. Two VMs of one lab whose hashes meet are refused
    by name (``_check_unique_macs``), never silently given one MAC.
    """
    digest = hashlib.sha256(("%s/%s" % (lab_name, vm_name)).encode("utf-8")).hexdigest()
    return "52:54:%s:%s:%s" % (digest[0:2], digest[2:4], digest[4:6])


# Runs "$@" with an rc file ("$1") sourced; the rc file is a word of its own, never shell text.
RC_WRAPPER = ["bash", "-c", '. "$1" && shift && exec "$@"', "_"]


def normalize(lab):
    """Validate ``lab`` and return the normalised model, or raise LabError.

    Nodes without a port of their own get the lowest free ones from ``lab.bmc.port_start``
    until ``with_record`` gives them what the lab record kept for them.
    """
    check = Checker()
    refuse_control_characters(check, lab, "lab")
    top = check.mapping(lab, "lab", TOP_SCHEMA)
    if top is None:
        raise LabError(check.errors)

    name = top["name"]
    check.string(name, "lab.name", LAB_NAME_RE,
                 "lab name (lower-case letters, digits and '-', at most 32)")

    network = normalize_network(check, top["network"])
    bmc = normalize_bmc(check, top["bmc"])
    libvirt = normalize_libvirt(check, top["libvirt"])
    portgroup_names = set(pg["name"] for pg in network["portgroups"] if isinstance(pg["name"], str)) \
        if network else set()
    provisioning = network["provisioning_portgroup"] if network else None

    vms = []
    if top["undercloud"] is not None:
        vm = _normalize_vm(check, top["undercloud"], "lab.undercloud", VM_SCHEMA,
                           portgroup_names, provisioning)
        if vm is not None:
            vm["role"] = "undercloud"
            vms.append(vm)

    nodes = []
    if check.sequence(top["nodes"], "lab.nodes"):
        if not top["nodes"]:
            check.error("lab.nodes", "must list at least one overcloud node")
        for index, raw in enumerate(top["nodes"]):
            path = "lab.nodes[%d]" % index
            vm = _normalize_vm(check, raw, path, NODE_SCHEMA, portgroup_names, provisioning)
            if vm is None:
                continue
            vm["role"] = "node"
            vm["path"] = path
            nodes.append(vm)

    if len(vms) + len(nodes) > MAX_VMS:
        check.error("lab.nodes", "at most %d VMs per lab (undercloud included), got %d"
                    % (MAX_VMS, len(vms) + len(nodes)))
    _check_unique_names(check, vms + nodes)
    assign_node_bmc_ports(check, nodes, bmc)
    tripleo = normalize_tripleo(check, top["tripleo"], len(nodes), explicit="tripleo" in lab)
    checks = _normalize_checks(check, top["checks"])
    if check.errors:
        raise LabError(check.errors)
    if tripleo:
        # Where the lab's files live on the undercloud, and how a command runs with its
        # credentials: derived here once, for every TripleO phase.
        home = tripleo["stack_home"].rstrip("/")
        tripleo["workdir"] = "%s/labkit-%s" % (home, name)
        tripleo["with_rc"] = RC_WRAPPER + [tripleo["rc_file"]]
        tripleo["overcloud_rc_file"] = "%s/%src" % (home, tripleo["deploy"]["stack"])
    warnings = _agent_warnings(nodes) + exposure_warnings(bmc)

    images_dir = libvirt["images_dir"].rstrip("/")
    all_vms = vms + nodes
    for vm in all_vms:
        vm.pop("path", None)
        vm["console_log"] = "%s/%s-console.log" % (libvirt["console_log_dir"].rstrip("/"), vm["name"])
        vm["disks"] = [
            {
                "device": DISK_DEVICES[disk_index],
                "size_gb": size,
                "path": "%s/%s_%s-%s.qcow2" % (images_dir, name, vm["name"], "vd" + DISK_DEVICES[disk_index]),
            }
            for disk_index, size in enumerate([vm.pop("disk_gb")] + vm.pop("extra_disks_gb"))
        ]
        vm["nics"] = [
            {
                "portgroup": portgroup,
                "mac": "%s:%02x" % (vm_mac_prefix(name, vm["name"]), nic_index),
                "provisioning": portgroup == provisioning,
            }
            for nic_index, portgroup in enumerate(vm["nics"])
        ]
    _check_unique_macs(all_vms)

    undercloud = vms[0] if vms else None
    downloads = []
    if undercloud is not None:
        image = tripleo["undercloud_image"] if tripleo else None
        undercloud["image"] = image
        undercloud["seed"] = "%s/%s_%s-seed.iso" % (images_dir, name, undercloud["name"]) if image else None
        if image:
            # A URL is downloaded next to the disks; a path is used where it is.
            undercloud["disks"][0]["backing_image"] = (
                "%s/%s_%s-base.qcow2" % (images_dir, name, undercloud["name"]) if "://" in image else image)
            if "://" in image:
                downloads.append({"url": image, "path": undercloud["disks"][0]["backing_image"]})
        management = [nic for nic in undercloud["nics"] if not nic["provisioning"]]
        undercloud["management_mac"] = management[0]["mac"] if management else None
    elif tripleo and tripleo["undercloud_image"]:
        raise LabError(["lab.undercloud: is required with lab.tripleo.undercloud_image (the VM to bring up)"])

    return {
        "name": name,
        "network": network,
        "bmc": bmc,
        "libvirt": libvirt,
        "undercloud": vms[0] if vms else None,
        "nodes": nodes,
        "vms": all_vms,
        "tripleo": tripleo,
        "checks": checks,
        "warnings": warnings,
        "files": _lab_files(all_vms),
        # Files the lab downloads into its images directory (the undercloud's cloud image).
        "downloads": downloads,
        "instance": "",
        "adopt": False,
    }


def with_record(model, bmc_ports, instance, adopt=False):
    """The validated ``model`` as the lab record on the virthost has it, without validating again.

    ``bmc_ports`` maps node names to the BMC ports an earlier run gave them: those nodes keep
    them, whatever their place in the list, and the others take the lowest free ones.
    ``instance`` (the record's instance id) and ``adopt`` (take over another instance's
    objects) are what every ownership mark is written and judged with (``ownership.judge``).
    """
    # One copy, which keeps a node one object in both "nodes" and "vms".
    model = copy.deepcopy(model)
    model["instance"] = instance or ""
    model["adopt"] = bool(adopt)
    automatic = [node for node in model["nodes"] if not node["bmc_port_given"]]
    if automatic:
        reserved = set(node["bmc_port"] for node in model["nodes"] if node["bmc_port_given"])
        start = model["bmc"]["port_start"]
        ports, full = assign_bmc_ports([node["name"] for node in automatic], start, reserved, bmc_ports or {})
        if full:
            # The description was accepted with these nodes on free ports; a record cannot take
            # more ports than it gives, so only a record edited by hand gets here.
            raise LabError(["lab.nodes: no free BMC port from lab.bmc.port_start %d to %d for %s"
                            % (start, BMC_PORT_MAX, ", ".join(full))])
        for node in automatic:
            node["bmc_port"] = ports[node["name"]]
    return model


def _lab_files(vms):
    """Every file the lab keeps in its images directory: disks, the undercloud's seed and base image.

    Anything else there with the lab's mark was left by a VM no longer described, and goes.
    """
    files = set()
    for vm in vms:
        for disk in vm["disks"]:
            files.add(disk["path"])
            if disk.get("backing_image"):
                files.add(disk["backing_image"])
        if vm.get("seed"):
            files.add(vm["seed"])
    return sorted(files)


def _check_unique_macs(vms):
    seen = {}
    errors = []
    for vm in vms:
        for nic in vm["nics"]:
            other = seen.get(nic["mac"])
            if other is not None and other != vm["name"]:
                errors.append("lab.nodes: VMs %r and %r would share MAC %s (a hash of lab and VM name meets); "
                              "rename one of them" % (other, vm["name"], nic["mac"]))
            seen[nic["mac"]] = vm["name"]
    if errors:
        raise LabError(errors)


def _normalize_checks(check, raw):
    checks = check.mapping(raw, "lab.checks", CHECKS_SCHEMA)
    if checks is None:
        return None
    if not isinstance(checks["boot"], bool):
        check.error("lab.checks.boot", "must be true or false, got %s" % type_name(checks["boot"]))
    check.integer(checks["boot_timeout_seconds"], "lab.checks.boot_timeout_seconds", 30, 3600)
    return checks


def _agent_warnings(nodes):
    """Sizes that build fine but cannot be inspected or deployed by Ironic's agent.

    Warnings, not errors: host-side labs (tests, benchmarks) use tiny nodes that never boot.
    """
    warnings = []
    for node in nodes:
        path = node["path"]
        if isinstance(node.get("memory_mb"), int) and node["memory_mb"] < AGENT_MIN_MEMORY_MB:
            warnings.append("%s.memory_mb: %d MiB is below the %d MiB the agent ramdisk needs; the node "
                            "will not pass inspection or deploy" % (path, node["memory_mb"], AGENT_MIN_MEMORY_MB))
        if isinstance(node.get("disk_gb"), int) and node["disk_gb"] < AGENT_MIN_DISK_GB:
            warnings.append("%s.disk_gb: %d GiB is below the %d GiB root disk the agent accepts; the node "
                            "can be inspected but not deployed" % (path, node["disk_gb"], AGENT_MIN_DISK_GB))
    return warnings


def _normalize_vm(check, raw, path, schema, portgroup_names, provisioning):
    vm = check.mapping(raw, path, schema)
    if vm is None:
        return None
    check.string(vm["name"], path + ".name", NAME_RE, "VM name (letters, digits, '.', '_', '-')")
    for key in ("vcpus", "memory_mb", "disk_gb"):
        check.integer(vm[key], "%s.%s" % (path, key), 1)
    if check.sequence(vm["extra_disks_gb"], path + ".extra_disks_gb"):
        if len(vm["extra_disks_gb"]) > len(DISK_DEVICES) - 1:
            check.error(path + ".extra_disks_gb", "at most %d extra disks" % (len(DISK_DEVICES) - 1))
        for index, size in enumerate(vm["extra_disks_gb"]):
            check.integer(size, "%s.extra_disks_gb[%d]" % (path, index), 1)
    else:
        vm["extra_disks_gb"] = []
    if check.sequence(vm["nics"], path + ".nics"):
        if not vm["nics"]:
            check.error(path + ".nics", "must list at least one NIC")
        if len(vm["nics"]) > 255:
            check.error(path + ".nics", "at most 255 NICs")
        for index, nic in enumerate(vm["nics"]):
            nic_path = "%s.nics[%d]" % (path, index)
            if check.string(nic, nic_path) and nic not in portgroup_names:
                check.error(nic_path, "portgroup %r is not declared in lab.network.portgroups" % nic)
        if provisioning is not None and vm["nics"] and provisioning not in vm["nics"]:
            check.error(path + ".nics", "has no NIC on the provisioning portgroup %r" % provisioning)
    else:
        vm["nics"] = []
    if "profile" in schema:
        check.string(vm["profile"], path + ".profile", NAME_RE, "profile name")
    vm["path"] = path
    return vm


def _check_unique_names(check, vms):
    seen = {}
    for vm in vms:
        name = vm["name"]
        if not isinstance(name, str):
            continue
        if name in seen:
            check.error(vm["path"] + ".name", "duplicate VM name %r (also %s)" % (name, seen[name]))
        else:
            seen[name] = vm["path"]
    for vm in vms:
        if vm["role"] == "undercloud":
            vm.pop("path", None)
