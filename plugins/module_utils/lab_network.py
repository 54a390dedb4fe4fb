# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The virthost half of the lab model: the OVS network and its portgroups, the BMCs and
their ports, libvirt's settings. Called by ``lab_model.normalize`` with its checker."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.labkit.tripleo.plugins.module_utils.lab_checks import (
    IFNAME_MAX, IFNAME_RE, NAME_RE, PASSWORD_RE, REQUIRED, USERNAME_RE, check_abs_path, is_wildcard)

try:
    from urllib.parse import urlparse
except ImportError:  # Python 2 on an old managed host
    from urlparse import urlparse

BMC_PORT_MIN = 1024
BMC_PORT_MAX = 65535
VLAN_MIN = 1
VLAN_MAX = 4094
BMC_TYPES = ("ipmi", "redfish")
# sushy-tools' own default port.
REDFISH_DEFAULT_PORT = 8000
DOMAIN_TYPES = ("auto", "kvm", "qemu")

NETWORK_SCHEMA = {
    "name": REQUIRED,
    "bridge": REQUIRED,
    "uplink": None,
    "host_address": None,
    "host_vlan": 100,
    "host_port": None,
    "provisioning_portgroup": None,
    "portgroups": REQUIRED,
}
PORTGROUP_SCHEMA = {"name": REQUIRED, "vlan": None, "trunk": None}
BMC_SCHEMA = {
    "type": "ipmi",
    "address": "127.0.0.1",
    "port_start": 7001,
    "port": None,
    "username": "admin",
    "password": None,
    "firewall_zone": "public",
    "allow_from": [],
}
LIBVIRT_SCHEMA = {
    "uri": "qemu:///system",
    "images_dir": "/var/lib/libvirt/images",
    "domain_type": "auto",
    # libvirt's own log directory: SELinux and AppArmor already let virtlogd write there.
    "console_log_dir": "/var/log/libvirt/qemu",
}


def exposure_warnings(bmc):
    if bmc is None or bmc["allow_from"] or ipaddress.ip_address(bmc["address"]).is_loopback:
        return []
    return ["lab.bmc.allow_from: the BMCs listen on %s with no allow_from, so the firewall opens them to "
            "every source that reaches that address; list the hosts that need them" % bmc["address"]]


def normalize_network(check, raw):
    net = check.mapping(raw, "lab.network", NETWORK_SCHEMA)
    if net is None:
        return None
    check.string(net["name"], "lab.network.name", NAME_RE, "libvirt network name")
    check.string(net["bridge"], "lab.network.bridge", IFNAME_RE,
                 "bridge name (at most %d characters, no spaces or '/')" % IFNAME_MAX)
    check.string(net["uplink"], "lab.network.uplink", IFNAME_RE, "interface name", nullable=True)
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
    if check.string(net["host_port"], "lab.network.host_port", IFNAME_RE, "interface name") \
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
            pg = check.mapping(raw_pg, path, PORTGROUP_SCHEMA)
            if pg is None:
                continue
            if check.string(pg["name"], path + ".name", NAME_RE, "portgroup name"):
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


def normalize_bmc(check, raw):
    bmc = check.mapping(raw, "lab.bmc", BMC_SCHEMA)
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
            if is_wildcard(ipaddress.ip_address(bmc["address"])):
                check.error("lab.bmc.address",
                            "must be a concrete address; %s would expose every BMC on every interface"
                            % bmc["address"])
    check.integer(bmc["port_start"], "lab.bmc.port_start", BMC_PORT_MIN, BMC_PORT_MAX)
    # The IPMI 2.0 limits, kept for Redfish too so a lab can switch type without new credentials.
    check.string(bmc["username"], "lab.bmc.username", USERNAME_RE,
                 "BMC user name (1-16 printable ASCII characters, no spaces or ':')")
    check.string(bmc["firewall_zone"], "lab.bmc.firewall_zone", NAME_RE, "firewalld zone name")
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
        if not isinstance(password, str) or not PASSWORD_RE.match(password):
            check.error("lab.bmc.password", "must be 1-20 printable ASCII characters without spaces "
                                            "(IPMI 2.0 allows 20 bytes)")
    bmc["password_given"] = password is not None
    return bmc


def normalize_libvirt(check, raw):
    libvirt = check.mapping(raw, "lab.libvirt", LIBVIRT_SCHEMA)
    if libvirt is None:
        return None
    if check.string(libvirt["uri"], "lab.libvirt.uri") and urlparse(libvirt["uri"]).path.rstrip("/") == "/session":
        check.error("lab.libvirt.uri", "session URIs hide VMs from root and lose them on reboot; use qemu:///system")
    for key in ("images_dir", "console_log_dir"):
        check_abs_path(check, libvirt[key], "lab.libvirt." + key)
    if libvirt["domain_type"] not in DOMAIN_TYPES:
        check.error("lab.libvirt.domain_type", "must be one of %s" % ", ".join(DOMAIN_TYPES))
    return libvirt


def assign_node_bmc_ports(check, nodes, bmc):
    """Check the nodes' own BMC ports and put the others on the lowest free ones from port_start.

    The ports the lab record kept for nodes are given later, by ``lab_model.with_record``.
    """
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
    ports, full = assign_bmc_ports(automatic, start, set(seen), {})
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
