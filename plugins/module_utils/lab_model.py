# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab description: validated and normalised once, consumed by every role.

Pure Python on purpose (no Ansible imports beyond this collection's own
module_utils) so that the filter plugin, the modules and the unit tests share
exactly one implementation.  Every error names
the offending field by its path (``lab.nodes[2].nics[0]``) and all errors are
collected, so a user fixes a description in one round trip.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import hashlib
import ipaddress
import re
import struct

from ansible_collections.labkit.tripleo.plugins.module_utils.tripleo_release import RELEASES
from ansible_collections.labkit.tripleo.plugins.module_utils.undercloud_conf import (
    UndercloudConfError, check as check_undercloud)

try:
    from urllib.parse import urlparse
except ImportError:  # Python 2 on an old managed host
    from urlparse import urlparse

BMC_PORT_MIN = 1024
BMC_PORT_MAX = 65535
VLAN_MIN = 1
VLAN_MAX = 4094
# Linux interface names are limited to 15 bytes (IFNAMSIZ - 1).
IFNAME_MAX = 15
BMC_TYPES = ("ipmi", "redfish")
# sushy-tools' own default port.
REDFISH_DEFAULT_PORT = 8000
DOMAIN_TYPES = ("auto", "kvm", "qemu")
DISK_DEVICES = "abcdefghijklmnopqrstuvwxyz"

# Names become domain names, file names (<lab>_<vm>-vdz.qcow2 and its temporary twin) and DNS
# labels: 63 characters keeps every derived name far below the 255-byte file name limit.
NAME_MAX = 63
# \Z, not $: '$' also matches before a trailing newline, which would let "name\n" through.
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,%d}\Z" % (NAME_MAX - 1))
# No '_' in lab names: '_' separates the lab from the VM in file names (<lab>_<vm>-vda.qcow2),
# so lab 'a' with VM 'b-c' and lab 'a-b' with VM 'c' never share a file.
_LAB_NAME_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,31}\Z")
# Not '-' first (an option to every command), not '.' or '..' (directories under /sys/class/net).
_IFNAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}\Z")
# Printable ASCII without space; no ':' either, which separates user and password in htpasswd.
_USERNAME_RE = re.compile(r"[!-9;-~]{1,16}\Z")
# IPMI 2.0 passwords are at most 20 bytes; printable ASCII without space survives every config file.
_PASSWORD_RE = re.compile(r"[!-~]{1,20}\Z")
# Paths that reach XML and file operations: no spaces, quotes or shell/XML metacharacters.
_ABS_PATH_RE = re.compile(r"/[A-Za-z0-9_./-]*\Z")
_PATH_WHAT = "absolute path (letters, digits, '/', '.', '_', '-'; no '..')"
# A command name or path: no shell metacharacters, not an option.
_COMMAND_RE = re.compile(r"[A-Za-z0-9_/][A-Za-z0-9_./-]*\Z")
# Keys of undercloud.conf's [DEFAULT] section.
_CONF_KEY_RE = re.compile(r"[a-z][a-z0-9_]{0,62}\Z")
# Anything below space and DEL: a newline in a value adds keys, sections or commands downstream.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
# Host directories a cloud image is never read from: a backing file there hands it to qemu.
_SYSTEM_DIRS = ("/boot", "/dev", "/etc", "/proc", "/root", "/run", "/sys")
_IMAGE_SUFFIXES = (".qcow2", ".img", ".raw")
MAX_VMS = 256
# What a node needs to be inspected and deployed by Ironic's agent: the agent ramdisk unpacks
# to ~400 MB in RAM (1024 MiB was enough in the bare-metal proof), and the agent refuses root
# disks under 4 GiB ("no suitable root device"), so a smaller node inspects but never deploys.
AGENT_MIN_MEMORY_MB = 1024
AGENT_MIN_DISK_GB = 4
# The boot check waits this long for every node at once (TCG guests reach iPXE in ~30 s).
BOOT_CHECK_TIMEOUT = 300


class LabError(ValueError):
    """A lab description that cannot be built; ``errors`` lists every problem."""

    def __init__(self, errors):
        self.errors = list(errors)
        super(LabError, self).__init__(
            "invalid lab description:\n" + "\n".join("  - " + e for e in self.errors)
        )


class _Missing(object):
    def __repr__(self):
        return "<required>"


REQUIRED = _Missing()


class _Checker(object):
    """Collects errors while walking the description."""

    def __init__(self):
        self.errors = []

    def error(self, path, message):
        self.errors.append("%s: %s" % (path, message))

    def mapping(self, value, path, schema):
        """Check a dict against ``schema`` {key: default or REQUIRED}.

        Returns a dict with defaults filled in, or None when ``value`` is not a
        dict (the error is recorded).
        """
        if not isinstance(value, dict):
            self.error(path, "must be a mapping, got %s" % _type_name(value))
            return None
        for key in sorted(set(value) - set(schema), key=str):
            self.error("%s.%s" % (path, key), "unknown key (known: %s)" % ", ".join(sorted(schema)))
        result = {}
        for key, default in schema.items():
            if key in value:
                result[key] = value[key]
            elif default is REQUIRED:
                self.error("%s.%s" % (path, key), "is required")
                result[key] = None
            else:
                result[key] = default
        return result

    def integer(self, value, path, minimum=None, maximum=None):
        # bool is an int subclass in Python; "true" as a size is a typo, not 1.
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(path, "must be an integer, got %s" % _type_name(value))
            return False
        if minimum is not None and value < minimum:
            if minimum == 1 and maximum is None:
                self.error(path, "must be a positive integer, got %d" % value)
            else:
                self.error(path, "must be between %d and %s, got %d" % (minimum, maximum if maximum is not None else "infinity", value))
            return False
        if maximum is not None and value > maximum:
            self.error(path, "must be between %d and %d, got %d" % (minimum, maximum, value))
            return False
        return True

    def string(self, value, path, pattern=None, what=None, nullable=False):
        if value is None and nullable:
            return True
        if not isinstance(value, str):
            self.error(path, "must be a string, got %s" % _type_name(value))
            return False
        if pattern is not None and not pattern.match(value):
            self.error(path, "%r is not a valid %s" % (value, what or "value"))
            return False
        return True

    def sequence(self, value, path):
        if not isinstance(value, list):
            self.error(path, "must be a list, got %s" % _type_name(value))
            return False
        return True


def _type_name(value):
    if value is None:
        return "null"
    return {bool: "boolean", int: "integer", float: "number", str: "string",
            list: "list", dict: "mapping"}.get(type(value), type(value).__name__)


_TOP_SCHEMA = {
    "name": REQUIRED,
    "network": REQUIRED,
    "bmc": {},
    "libvirt": {},
    "undercloud": None,
    "nodes": REQUIRED,
    "tripleo": {},
    "checks": {},
}
_CHECKS_SCHEMA = {
    "boot": False,
    "boot_timeout_seconds": BOOT_CHECK_TIMEOUT,
}
_NETWORK_SCHEMA = {
    "name": REQUIRED,
    "bridge": REQUIRED,
    "uplink": None,
    "host_address": None,
    "host_vlan": 100,
    "host_port": None,
    "provisioning_portgroup": None,
    "portgroups": REQUIRED,
}
_PORTGROUP_SCHEMA = {"name": REQUIRED, "vlan": None, "trunk": None}
_BMC_SCHEMA = {
    "type": "ipmi",
    "address": "127.0.0.1",
    "port_start": 7001,
    "port": None,
    "username": "admin",
    "password": None,
    "firewall_zone": "public",
    "allow_from": [],
}
_LIBVIRT_SCHEMA = {
    "uri": "qemu:///system",
    "images_dir": "/var/lib/libvirt/images",
    "domain_type": "auto",
    # libvirt's own log directory: SELinux and AppArmor already let virtlogd write there.
    "console_log_dir": "/var/log/libvirt/qemu",
}
_VM_SCHEMA = {
    "name": REQUIRED,
    "vcpus": REQUIRED,
    "memory_mb": REQUIRED,
    "disk_gb": REQUIRED,
    "nics": REQUIRED,
    "extra_disks_gb": [],
}
_NODE_SCHEMA = dict(_VM_SCHEMA, profile=REQUIRED, bmc_port=None)


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


def normalize(lab, bmc_ports=None, instance=None, adopt=False):
    """Validate ``lab`` and return the normalised model, or raise LabError.

    ``bmc_ports`` maps node names to the BMC ports an earlier run gave them (the lab record
    on the virthost); those nodes keep them. ``instance`` (the record's instance id) and
    ``adopt`` (take over another instance's objects) are what every ownership mark is written
    and judged with (``ownership.judge``).
    """
    check = _Checker()
    _refuse_control_characters(check, lab, "lab")
    top = check.mapping(lab, "lab", _TOP_SCHEMA)
    if top is None:
        raise LabError(check.errors)

    name = top["name"]
    check.string(name, "lab.name", _LAB_NAME_RE,
                 "lab name (lower-case letters, digits and '-', at most 32)")

    network = _normalize_network(check, top["network"])
    bmc = _normalize_bmc(check, top["bmc"])
    libvirt = _normalize_libvirt(check, top["libvirt"])
    portgroup_names = set(pg["name"] for pg in network["portgroups"] if isinstance(pg["name"], str)) \
        if network else set()
    provisioning = network["provisioning_portgroup"] if network else None

    vms = []
    if top["undercloud"] is not None:
        vm = _normalize_vm(check, top["undercloud"], "lab.undercloud", _VM_SCHEMA,
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
            vm = _normalize_vm(check, raw, path, _NODE_SCHEMA, portgroup_names, provisioning)
            if vm is None:
                continue
            vm["role"] = "node"
            vm["path"] = path
            nodes.append(vm)

    if len(vms) + len(nodes) > MAX_VMS:
        check.error("lab.nodes", "at most %d VMs per lab (undercloud included), got %d"
                    % (MAX_VMS, len(vms) + len(nodes)))
    _check_unique_names(check, vms + nodes)
    _assign_bmc_ports(check, nodes, bmc, bmc_ports)
    tripleo = _normalize_tripleo(check, top["tripleo"], len(nodes), explicit="tripleo" in lab)
    checks = _normalize_checks(check, top["checks"])
    if check.errors:
        raise LabError(check.errors)
    if tripleo:
        # Where the lab's files live on the undercloud, and how a command runs with its
        # credentials: derived here once, for every TripleO phase.
        home = tripleo["stack_home"].rstrip("/")
        tripleo["workdir"] = "%s/labkit-%s" % (home, name)
        tripleo["with_rc"] = RC_WRAPPER + [tripleo["rc_file"]]
        tripleo["with_overcloud_rc"] = RC_WRAPPER + ["%s/%src" % (home, tripleo["deploy"]["stack"])]
    warnings = _agent_warnings(nodes) + _exposure_warnings(bmc)

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
    if undercloud is not None:
        image = tripleo["undercloud_image"] if tripleo else None
        undercloud["image"] = image
        undercloud["seed"] = "%s/%s_%s-seed.iso" % (images_dir, name, undercloud["name"]) if image else None
        if image:
            # A URL is downloaded next to the disks; a path is used where it is.
            undercloud["disks"][0]["backing_image"] = (
                "%s/%s_%s-base.qcow2" % (images_dir, name, undercloud["name"]) if "://" in image else image)
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
        "instance": instance or "",
        "adopt": bool(adopt),
    }


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


def _refuse_control_characters(check, value, path):
    """Every string of the description, keys included, wherever it ends up later."""
    if isinstance(value, str):
        if _CONTROL_RE.search(value):
            # The value itself is not echoed: it may be a password.
            check.error(path, "contains a control character (newline, tab, escape...); these are refused "
                              "everywhere because they add lines to files and commands")
    elif isinstance(value, dict):
        for key in sorted(value, key=str):
            child = "%s.%s" % (path, key)
            if isinstance(key, str) and _CONTROL_RE.search(key):
                check.error(child, "key contains a control character")
            _refuse_control_characters(check, value[key], child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_control_characters(check, item, "%s[%d]" % (path, index))


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


def _exposure_warnings(bmc):
    if bmc is None or bmc["allow_from"] or ipaddress.ip_address(bmc["address"]).is_loopback:
        return []
    return ["lab.bmc.allow_from: the BMCs listen on %s with no allow_from, so the firewall opens them to "
            "every source that reaches that address; list the hosts that need them" % bmc["address"]]


def _normalize_checks(check, raw):
    checks = check.mapping(raw, "lab.checks", _CHECKS_SCHEMA)
    if checks is None:
        return None
    if not isinstance(checks["boot"], bool):
        check.error("lab.checks.boot", "must be true or false, got %s" % _type_name(checks["boot"]))
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


def _normalize_network(check, raw):
    net = check.mapping(raw, "lab.network", _NETWORK_SCHEMA)
    if net is None:
        return None
    check.string(net["name"], "lab.network.name", _NAME_RE, "libvirt network name")
    check.string(net["bridge"], "lab.network.bridge", _IFNAME_RE,
                 "bridge name (at most %d characters, no spaces or '/')" % IFNAME_MAX)
    check.string(net["uplink"], "lab.network.uplink", _IFNAME_RE, "interface name", nullable=True)
    if net["host_address"] is not None and check.string(net["host_address"], "lab.network.host_address"):
        try:
            iface = ipaddress.ip_interface(net["host_address"])
            if "/" not in net["host_address"]:
                check.error("lab.network.host_address", "needs a prefix length, e.g. 192.168.255.200/24")
            else:
                net["host_address"] = str(iface)
        except ValueError:
            check.error("lab.network.host_address", "%r is not an address with prefix length" % net["host_address"])
    check.integer(net["host_vlan"], "lab.network.host_vlan", VLAN_MIN, VLAN_MAX)
    if net["host_port"] is None and isinstance(net["bridge"], str):
        net["host_port"] = net["bridge"][:IFNAME_MAX - len("-host")] + "-host"
    if check.string(net["host_port"], "lab.network.host_port", _IFNAME_RE, "interface name") \
            and net["host_port"] == net["bridge"]:
        check.error("lab.network.host_port", "must differ from the bridge name (Open vSwitch already has a "
                                             "port named like the bridge)")

    portgroups = []
    if check.sequence(net["portgroups"], "lab.network.portgroups"):
        if not net["portgroups"]:
            check.error("lab.network.portgroups", "must declare at least one portgroup")
        seen = {}
        for index, raw_pg in enumerate(net["portgroups"]):
            path = "lab.network.portgroups[%d]" % index
            pg = check.mapping(raw_pg, path, _PORTGROUP_SCHEMA)
            if pg is None:
                continue
            if check.string(pg["name"], path + ".name", _NAME_RE, "portgroup name"):
                if pg["name"] in seen:
                    check.error(path + ".name", "duplicate portgroup name %r (also %s)" % (pg["name"], seen[pg["name"]]))
                seen[pg["name"]] = path
            if (pg["vlan"] is None) == (pg["trunk"] is None):
                check.error(path, "needs exactly one of 'vlan' (access port) or 'trunk' (list of VLANs)")
            elif pg["vlan"] is not None:
                check.integer(pg["vlan"], path + ".vlan", VLAN_MIN, VLAN_MAX)
            elif check.sequence(pg["trunk"], path + ".trunk"):
                if not pg["trunk"]:
                    check.error(path + ".trunk", "must list at least one VLAN")
                for vindex, vlan in enumerate(pg["trunk"]):
                    check.integer(vlan, "%s.trunk[%d]" % (path, vindex), VLAN_MIN, VLAN_MAX)
                if len(set(map(repr, pg["trunk"]))) != len(pg["trunk"]):
                    check.error(path + ".trunk", "lists a VLAN twice")
                else:
                    pg["trunk"] = sorted(v for v in pg["trunk"] if isinstance(v, int))
            portgroups.append(pg)
    net["portgroups"] = portgroups

    if net["provisioning_portgroup"] is None:
        access = [pg["name"] for pg in portgroups if pg["vlan"] is not None and pg["vlan"] == net["host_vlan"]]
        if access:
            net["provisioning_portgroup"] = access[0]
        elif portgroups and isinstance(net["host_vlan"], int):
            check.error("lab.network.provisioning_portgroup",
                        "no access portgroup carries host_vlan %s; add one or name the provisioning portgroup"
                        % net["host_vlan"])
    elif check.string(net["provisioning_portgroup"], "lab.network.provisioning_portgroup"):
        match = [pg for pg in portgroups if pg["name"] == net["provisioning_portgroup"]]
        if not match:
            check.error("lab.network.provisioning_portgroup",
                        "names portgroup %r, which is not declared" % net["provisioning_portgroup"])
        elif match[0]["vlan"] is None:
            check.error("lab.network.provisioning_portgroup",
                        "must be an access portgroup (PXE boots untagged), %r is a trunk" % match[0]["name"])

    net["vlans"] = sorted(set(
        [pg["vlan"] for pg in portgroups if isinstance(pg.get("vlan"), int)]
        + [v for pg in portgroups for v in (pg.get("trunk") or []) if isinstance(v, int)]
    ))
    return net


def _normalize_bmc(check, raw):
    bmc = check.mapping(raw, "lab.bmc", _BMC_SCHEMA)
    if bmc is None:
        return None
    if bmc["type"] not in BMC_TYPES:
        check.error("lab.bmc.type", "%r is not supported (supported: %s)" % (bmc["type"], ", ".join(BMC_TYPES)))
    # IPMI gives each node its own UDP port; one Redfish emulator serves every node on one TCP port.
    if bmc["type"] == "redfish":
        if bmc["port"] is None:
            bmc["port"] = REDFISH_DEFAULT_PORT
        check.integer(bmc["port"], "lab.bmc.port", BMC_PORT_MIN, BMC_PORT_MAX)
    elif bmc["port"] is not None:
        check.error("lab.bmc.port", "is only for type redfish (one port for every node); "
                                    "IPMI BMCs take lab.bmc.port_start or nodes[].bmc_port")
    if check.string(bmc["address"], "lab.bmc.address"):
        try:
            bmc["address"] = str(ipaddress.ip_address(bmc["address"]))
        except ValueError:
            check.error("lab.bmc.address", "%r is not an IP address" % bmc["address"])
        else:
            if _is_wildcard(ipaddress.ip_address(bmc["address"])):
                check.error("lab.bmc.address",
                            "must be a concrete address; %s would expose every BMC on every interface"
                            % bmc["address"])
    check.integer(bmc["port_start"], "lab.bmc.port_start", BMC_PORT_MIN, BMC_PORT_MAX)
    # The IPMI 2.0 limits, kept for Redfish too so a lab can switch type without new credentials.
    check.string(bmc["username"], "lab.bmc.username", _USERNAME_RE,
                 "BMC user name (1-16 printable ASCII characters, no spaces or ':')")
    check.string(bmc["firewall_zone"], "lab.bmc.firewall_zone", _NAME_RE, "firewalld zone name")
    if check.sequence(bmc["allow_from"], "lab.bmc.allow_from"):
        sources = []
        for index, source in enumerate(bmc["allow_from"]):
            path = "lab.bmc.allow_from[%d]" % index
            if check.string(source, path):
                try:
                    network = ipaddress.ip_network(source, strict=False)
                except ValueError:
                    check.error(path, "%r is not an address or network" % source)
                    continue
                mapped = getattr(network.network_address, "ipv4_mapped", None)
                if network.prefixlen == 0 or (mapped is not None and network.prefixlen <= 96):
                    check.error(path, "%s lets every address in; list the hosts or networks that need the "
                                      "BMCs (an empty allow_from opens the zone on purpose)" % source)
                    continue
                sources.append(str(network))
        bmc["allow_from"] = sources
    password = bmc.pop("password")
    if password is not None:
        # Never echo the value: it is a secret.
        if not isinstance(password, str) or not _PASSWORD_RE.match(password):
            check.error("lab.bmc.password", "must be 1-20 printable ASCII characters without spaces "
                                            "(IPMI 2.0 allows 20 bytes)")
    bmc["password_given"] = password is not None
    return bmc


def _normalize_libvirt(check, raw):
    libvirt = check.mapping(raw, "lab.libvirt", _LIBVIRT_SCHEMA)
    if libvirt is None:
        return None
    if check.string(libvirt["uri"], "lab.libvirt.uri") and urlparse(libvirt["uri"]).path.rstrip("/") == "/session":
        check.error("lab.libvirt.uri", "session URIs hide VMs from root and lose them on reboot; use qemu:///system")
    for key in ("images_dir", "console_log_dir"):
        _check_abs_path(check, libvirt[key], "lab.libvirt." + key)
    if libvirt["domain_type"] not in DOMAIN_TYPES:
        check.error("lab.libvirt.domain_type", "must be one of %s" % ", ".join(DOMAIN_TYPES))
    return libvirt


def _check_abs_path(check, value, path, nullable=False):
    if not check.string(value, path, _ABS_PATH_RE, _PATH_WHAT, nullable=nullable) or value is None:
        return False
    if "/../" in value + "/" or "/./" in value + "/":
        check.error(path, "must not contain '.' or '..' components")
        return False
    return True


def _is_wildcard(address):
    """0.0.0.0, :: and ::ffff:0.0.0.0 all bind every address."""
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_unspecified or (mapped is not None and mapped.is_unspecified)


def _normalize_vm(check, raw, path, schema, portgroup_names, provisioning):
    vm = check.mapping(raw, path, schema)
    if vm is None:
        return None
    check.string(vm["name"], path + ".name", _NAME_RE, "VM name (letters, digits, '.', '_', '-')")
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
        check.string(vm["profile"], path + ".profile", _NAME_RE, "profile name")
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


def _assign_bmc_ports(check, nodes, bmc, recorded):
    if bmc and bmc["type"] == "redfish":
        for node in nodes:
            if node["bmc_port"] is not None:
                check.error(node["path"] + ".bmc_port",
                            "Redfish serves every node on lab.bmc.port; a node has no port of its own")
            node["bmc_port"] = bmc["port"]
            node["bmc_port_given"] = True
        return
    start = bmc["port_start"] if bmc and isinstance(bmc["port_start"], int) and not isinstance(bmc["port_start"], bool) else None
    seen = {}
    for node in nodes:
        path = node["path"] + ".bmc_port"
        # Whether the port is the node's own choice; the others are kept by the lab record.
        node["bmc_port_given"] = node["bmc_port"] is not None
        if node["bmc_port"] is None:
            continue
        if not check.integer(node["bmc_port"], path, BMC_PORT_MIN, BMC_PORT_MAX):
            node["bmc_port"] = False
            continue
        if node["bmc_port"] in seen:
            check.error(path, "BMC port %d is already used by %s" % (node["bmc_port"], seen[node["bmc_port"]]))
        seen[node["bmc_port"]] = node["path"]
    if start is None:
        return
    automatic = [node["name"] for node in nodes if node["bmc_port"] is None and isinstance(node["name"], str)]
    ports, full = assign_bmc_ports(automatic, start, set(seen), recorded or {})
    for node in nodes:
        if node["bmc_port"] is False:
            node["bmc_port"] = None
        elif node["bmc_port"] is None and node["name"] in ports:
            node["bmc_port"] = ports[node["name"]]
    paths = dict((node["name"], node["path"]) for node in nodes if isinstance(node["name"], str))
    for name in full:
        check.error(paths[name] + ".bmc_port", "no free port from lab.bmc.port_start %d to %d" % (start, BMC_PORT_MAX))


def assign_bmc_ports(names, port_start, reserved, recorded):
    """Ports for the nodes named ``names`` that have none of their own.

    A port, once given, is a node's identity (its BMC endpoint in Ironic): a node keeps the
    port ``recorded`` for it by an earlier run, whatever its position in the list; a new
    node takes the lowest free port from ``port_start``. So adding, removing or reordering
    nodes never moves another node's BMC. Returns (ports by name, names with no free port).
    """
    ports, taken = {}, set(reserved)
    for name in names:
        port = recorded.get(name)
        if isinstance(port, int) and not isinstance(port, bool) and port_start <= port <= BMC_PORT_MAX \
                and port not in taken:
            ports[name] = port
            taken.add(port)
    full = []
    candidate = port_start
    for name in names:
        if name in ports:
            continue
        while candidate in taken:
            candidate += 1
        if candidate > BMC_PORT_MAX:
            full.append(name)
            continue
        ports[name] = candidate
        taken.add(candidate)
    return ports, full


# The reference lab's undercloud (lab-reference.md section 4).
_UNDERCLOUD_CONF_SCHEMA = {
    "undercloud_hostname": "undercloud.openstack.rnd",
    "local_ip": "192.168.255.1/24",
    "network_gateway": "192.168.255.1",
    "undercloud_public_host": "192.168.255.2",
    "undercloud_admin_host": "192.168.255.3",
    "undercloud_nameservers": ["192.168.255.253"],
    "generate_service_certificate": False,
    "local_interface": "eth0",
    "local_mtu": 1450,
    "underlay_mtu": 1500,
    "network_cidr": "192.168.255.0/24",
    "masquerade": True,
    "dhcp_start": "192.168.255.11",
    "dhcp_end": "192.168.255.50",
    "inspection_iprange": "192.168.255.51,192.168.255.100",
    "scheduler_max_attempts": None,
    "container_images_file": "/home/stack/containers-prepare-parameter.yaml",
    "extra": {},
}
_MANAGEMENT_SCHEMA = {
    "address": None,
    "gateway": None,
    "nameservers": [],
}
_DEPLOY_SCHEMA = {
    "stack": "overcloud",
    "templates": None,
    "environment_files": [],
    "extra_args": [],
    "libvirt_type": "auto",
    "timeout_minutes": 120,
}
_TRIPLEO_SCHEMA = {
    "release": "wallaby",
    "introspect": True,
    "provide": True,
    # How the TripleO phases reach the undercloud's CLI.
    "stack_user": "stack",
    "stack_home": "/home/stack",
    "rc_file": None,
    "openstack_command": "openstack",
    "import_timeout_minutes": 30,
    # The lab's undercloud VM brought up from a cloud image (path or URL on the virthost).
    "undercloud_image": None,
    "ssh_public_key": None,
    "management": {},
    "undercloud": {},
    "deploy": {},
}


def _normalize_tripleo(check, raw, node_count, explicit):
    """Settings of the TripleO phases.

    Without an explicit ``tripleo`` section (a host-side-only lab) the reference
    undercloud's pools are not held against the node count here; the undercloud
    phase checks them again before it renders undercloud.conf.
    """
    tripleo = check.mapping(raw, "lab.tripleo", _TRIPLEO_SCHEMA)
    if tripleo is None:
        return None
    if tripleo["release"] not in RELEASES:
        check.error("lab.tripleo.release", "%r is not supported (supported: %s)"
                    % (tripleo["release"], ", ".join(sorted(RELEASES))))
    for key in ("introspect", "provide"):
        if not isinstance(tripleo[key], bool):
            check.error("lab.tripleo." + key, "must be true or false, got %s" % _type_name(tripleo[key]))
    check.string(tripleo["stack_user"], "lab.tripleo.stack_user", _NAME_RE, "user name")
    _check_abs_path(check, tripleo["stack_home"], "lab.tripleo.stack_home")
    _check_abs_path(check, tripleo["rc_file"], "lab.tripleo.rc_file", nullable=True)
    check.string(tripleo["openstack_command"], "lab.tripleo.openstack_command", _COMMAND_RE,
                 "command (a name or path; letters, digits, '/', '.', '_', '-')")
    if tripleo["rc_file"] is None and isinstance(tripleo["stack_home"], str):
        tripleo["rc_file"] = tripleo["stack_home"].rstrip("/") + "/stackrc"
    check.integer(tripleo["import_timeout_minutes"], "lab.tripleo.import_timeout_minutes", 1)
    image = tripleo["undercloud_image"]
    if check.string(image, "lab.tripleo.undercloud_image", nullable=True) and image is not None:
        if re.match(r"https?://", image):
            if re.search(r"[\s\"'<>\\`]", image):
                check.error("lab.tripleo.undercloud_image", "URL must not contain spaces or quotes")
        elif _check_abs_path(check, image, "lab.tripleo.undercloud_image"):
            if any(image == d or image.startswith(d + "/") for d in _SYSTEM_DIRS) \
                    or not image.endswith(_IMAGE_SUFFIXES):
                check.error("lab.tripleo.undercloud_image",
                            "must be an image file (%s) outside the host's system directories (%s), or an "
                            "http(s) URL" % (", ".join(_IMAGE_SUFFIXES), ", ".join(_SYSTEM_DIRS)))
    check.string(tripleo["ssh_public_key"], "lab.tripleo.ssh_public_key", nullable=True)
    management = check.mapping(tripleo["management"], "lab.tripleo.management", _MANAGEMENT_SCHEMA)
    if management is not None:
        if management["address"] is not None:
            try:
                if "/" not in str(management["address"]):
                    raise ValueError
                ipaddress.ip_interface(management["address"])
            except ValueError:
                check.error("lab.tripleo.management.address",
                            "%r is not an address with prefix length" % management["address"])
        if management["gateway"] is not None:
            _check_address(check, management["gateway"], "lab.tripleo.management.gateway")
        if check.sequence(management["nameservers"], "lab.tripleo.management.nameservers"):
            for index, server in enumerate(management["nameservers"]):
                _check_address(check, server, "lab.tripleo.management.nameservers[%d]" % index)
    tripleo["management"] = management
    if image is not None:
        if tripleo["ssh_public_key"] is None:
            check.error("lab.tripleo.ssh_public_key", "is required with undercloud_image (the key to reach the VM)")
        if management is not None and management["address"] is None:
            check.error("lab.tripleo.management.address",
                        "is required with undercloud_image (the undercloud's address on its management NIC)")

    path = "lab.tripleo.undercloud"
    conf = check.mapping(tripleo["undercloud"], path, _UNDERCLOUD_CONF_SCHEMA)
    if conf is not None:
        before = len(check.errors)
        if conf["scheduler_max_attempts"] is None:
            conf["scheduler_max_attempts"] = max(10, node_count)
        for key in ("local_mtu", "underlay_mtu", "scheduler_max_attempts"):
            check.integer(conf[key], "%s.%s" % (path, key), 1)
        for key in ("generate_service_certificate", "masquerade"):
            if not isinstance(conf[key], bool):
                check.error("%s.%s" % (path, key), "must be true or false")
        check.string(conf["undercloud_hostname"], path + ".undercloud_hostname",
                     re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?\Z"), "host name")
        check.string(conf["local_interface"], path + ".local_interface", _IFNAME_RE, "interface name")
        _check_abs_path(check, conf["container_images_file"], path + ".container_images_file")
        if check.sequence(conf["undercloud_nameservers"], path + ".undercloud_nameservers"):
            for index, server in enumerate(conf["undercloud_nameservers"]):
                _check_address(check, server, "%s.undercloud_nameservers[%d]" % (path, index))
        for key in ("network_gateway", "undercloud_public_host", "undercloud_admin_host", "dhcp_start", "dhcp_end"):
            _check_address(check, conf[key], "%s.%s" % (path, key))
        try:
            if "/" not in str(conf["local_ip"]):
                raise ValueError
            ipaddress.ip_interface(conf["local_ip"])
        except ValueError:
            check.error(path + ".local_ip", "%r is not an address with prefix length" % conf["local_ip"])
        try:
            ipaddress.ip_network(conf["network_cidr"])
        except (ValueError, TypeError):
            check.error(path + ".network_cidr", "%r is not a network" % conf["network_cidr"])
        parts = conf["inspection_iprange"].split(",") if isinstance(conf["inspection_iprange"], str) else []
        if len(parts) != 2:
            check.error(path + ".inspection_iprange", "must be 'first,last', e.g. 192.168.255.51,192.168.255.100")
        else:
            for part in parts:
                _check_address(check, part.strip(), path + ".inspection_iprange")
        if not isinstance(conf["extra"], dict):
            check.error(path + ".extra", "must be a mapping of further undercloud.conf keys")
        else:
            for key in sorted(conf["extra"], key=str):
                if not isinstance(key, str) or not _CONF_KEY_RE.match(key):
                    check.error("%s.extra.%s" % (path, key), "is not an undercloud.conf key (lower-case letters, "
                                                            "digits and '_')")
                elif key in _UNDERCLOUD_CONF_SCHEMA:
                    check.error("%s.extra.%s" % (path, key), "is a checked key; set lab.tripleo.undercloud.%s "
                                                            "instead" % key)
                elif not isinstance(conf["extra"][key], (str, int, float, bool)) \
                        and not (isinstance(conf["extra"][key], list)
                                 and all(isinstance(v, (str, int)) for v in conf["extra"][key])):
                    check.error("%s.extra.%s" % (path, key), "must be a string, number, boolean or list of them")
        if len(check.errors) == before and explicit:
            # Only meaningful once every value parses.
            try:
                check_undercloud(conf, node_count, path)
            except UndercloudConfError as exc:
                check.errors.extend(exc.errors)
    tripleo["undercloud"] = conf

    deploy = check.mapping(tripleo["deploy"], "lab.tripleo.deploy", _DEPLOY_SCHEMA)
    if deploy is not None:
        check.string(deploy["stack"], "lab.tripleo.deploy.stack", _NAME_RE, "stack name")
        _check_abs_path(check, deploy["templates"], "lab.tripleo.deploy.templates", nullable=True)
        for key in ("environment_files", "extra_args"):
            if check.sequence(deploy[key], "lab.tripleo.deploy." + key):
                for index, item in enumerate(deploy[key]):
                    check.string(item, "lab.tripleo.deploy.%s[%d]" % (key, index))
        if deploy["libvirt_type"] not in ("auto", "kvm", "qemu"):
            check.error("lab.tripleo.deploy.libvirt_type", "must be auto, kvm or qemu")
        check.integer(deploy["timeout_minutes"], "lab.tripleo.deploy.timeout_minutes", 1)
    tripleo["deploy"] = deploy
    return tripleo


_PUBLIC_KEY_TYPES = ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
                     "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com")


def check_public_key(text, path="lab.tripleo.ssh_public_key"):
    """The one OpenSSH public key line in ``text``, or LabError naming ``path``.

    The file is copied into the undercloud's seed; a private key (or any other file) named
    here by mistake must never get that far. The key's own blob names its type, so the
    line is checked against itself, not only by its look.
    """
    lines = [line.strip() for line in (text or "").splitlines() if line.strip() and not line.startswith("#")]
    problem = None
    if "PRIVATE KEY" in (text or ""):
        problem = "is a private key; give the .pub file"
    elif len(lines) != 1:
        problem = "must hold exactly one public key line, found %d lines" % len(lines)
    else:
        fields = lines[0].split()
        if len(fields) < 2 or fields[0] not in _PUBLIC_KEY_TYPES:
            problem = "is not an OpenSSH public key (expected a line such as 'ssh-ed25519 AAAA... comment')"
        else:
            try:
                blob = base64.b64decode(fields[1].encode("ascii"), validate=True)
                length = struct.unpack(">I", blob[:4])[0]
                named = blob[4:4 + length].decode("ascii")
            except (ValueError, UnicodeError, struct.error, binascii.Error):
                named = None
            if named != fields[0]:
                problem = "is not a valid %s public key (its key data does not decode to one)" % fields[0]
    if problem:
        raise LabError(["%s: %s" % (path, problem)])
    return lines[0]


def _check_address(check, value, path):
    if not isinstance(value, str):
        check.error(path, "must be an IP address, got %s" % _type_name(value))
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        check.error(path, "%r is not an IP address" % value)
        return False
    return True
