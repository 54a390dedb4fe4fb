# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The throwaway PXE responder of the boot check, as pure functions.

What a node's firmware does on the provisioning VLAN, step by step, is what the
undercloud will need from it: ask DHCP for an address (its MAC seen), fetch the
boot file (iPXE's script over HTTP, or ``undionly.kpxe`` over TFTP for a PXE ROM
that is not iPXE), then run that script, which fetches ``/booted/<mac>``: proof
that the firmware executed what it was served. dnsmasq answers the lab's MACs only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import ipaddress
import re

HTTP_PORT = 8088
# DHCP option 175 is what iPXE sends about itself: a client that has it runs iPXE already.
IPXE_OPTION = 175
BOOTED_PATH = "/booted/"
BOOT_SCRIPT_PATH = "/boot.ipxe"


def namespace_name(lab):
    return "labkit-bootcheck-" + lab


def port_name(lab):
    """An OVS internal port name of at most 15 bytes, different for every lab."""
    return "lkbc" + hashlib.sha256(lab.encode("utf-8")).hexdigest()[:10]


def dnsmasq_argv(dnsmasq, interface, server, first, last, netmask, macs, log_file, lease_file,
                 tftp_root=None, pxe_file="undionly.kpxe", http_port=HTTP_PORT):
    """dnsmasq as the boot check's DHCP (and TFTP) server, answering ``macs`` only.

    No DNS (--port=0), no configuration file, bound to the namespace's port, logging every
    DHCP exchange so that the check sees each MAC ask.
    """
    argv = [dnsmasq, "--keep-in-foreground", "--conf-file=/dev/null", "--port=0", "--bind-interfaces",
            "--interface=" + interface, "--except-interface=lo", "--user=root", "--group=root",
            "--dhcp-range=%s,%s,%s,10m" % (first, last, netmask),
            "--dhcp-ignore=tag:!known", "--dhcp-authoritative",
            # The pool is the check's alone: no 3 s ping before each offer.
            "--no-ping",
            "--dhcp-match=set:ipxe,%d" % IPXE_OPTION,
            "--dhcp-boot=tag:ipxe,http://%s:%d%s" % (server, http_port, BOOT_SCRIPT_PATH),
            "--dhcp-leasefile=" + lease_file, "--log-dhcp", "--log-facility=" + log_file]
    argv += ["--dhcp-host=%s" % mac for mac in macs]
    if tftp_root:
        argv += ["--enable-tftp", "--tftp-root=" + tftp_root, "--dhcp-boot=tag:!ipxe," + pxe_file]
    return argv


def boot_script(server, http_port=HTTP_PORT):
    """What a node's iPXE runs: fetching /booted/<its MAC> proves it ran the script."""
    return ("#!ipxe\n"
            "echo labkit boot check: ${mac} runs the boot script\n"
            "chain http://%s:%d%s${mac:hexhyp}\n" % (server, http_port, BOOTED_PATH))


def booted_script():
    return ("#!ipxe\n"
            "echo labkit boot check: network boot of ${mac} proven; waiting to be powered off\n"
            "sleep 600 || shell\n")


def responder_addresses(address, first, last):
    """(server address with prefix, netmask) for the namespace, checked against the pool."""
    network = ipaddress.ip_interface(address).network
    server = ipaddress.ip_interface(address).ip
    for what, address in (("server", server), ("pool start", ipaddress.ip_address(first)),
                          ("pool end", ipaddress.ip_address(last))):
        if address not in network:
            raise ValueError("%s %s is outside %s" % (what, address, network))
    if ipaddress.ip_address(first) <= server <= ipaddress.ip_address(last):
        raise ValueError("server %s lies inside the pool %s-%s" % (server, first, last))
    return "%s/%d" % (server, network.prefixlen), str(network.netmask)


# ------------------------------------------------------------------ dnsmasq log

_DHCP_LINE = re.compile(r"dnsmasq-dhcp\[\d+\]: (?:\d+ )?(DHCPDISCOVER|DHCPREQUEST|DHCPOFFER|DHCPACK)"
                        r"\([^)]*\) (?:(\d+\.\d+\.\d+\.\d+) )?([0-9a-fA-F:]{17})")
_TFTP_LINE = re.compile(r"dnsmasq-tftp\[\d+\]: sent (\S+) to (\d+\.\d+\.\d+\.\d+)")


def parse_dnsmasq_line(line):
    """One dnsmasq log line as an event dict, or None for lines the check does not need."""
    match = _DHCP_LINE.search(line)
    if match:
        return {"kind": match.group(1)[4:].lower(), "ip": match.group(2), "mac": match.group(3).lower()}
    match = _TFTP_LINE.search(line)
    if match:
        return {"kind": "tftp", "file": match.group(1), "ip": match.group(2), "mac": None}
    return None


# ------------------------------------------------------------------ progress

class BootProgress(object):
    """What each node's firmware has done so far, with seconds since its power-on."""

    def __init__(self, nodes):
        self.nodes = dict(
            (n["mac"].lower(), {"name": n["name"], "mac": n["mac"].lower(), "powered_on": None, "dhcp": None,
                                "address": None, "boot_file": None, "booted": None})
            for n in nodes)
        self.by_ip = {}

    def powered_on(self, mac, when):
        self.nodes[mac.lower()]["powered_on"] = when

    def _seconds(self, node, when):
        start = node["powered_on"]
        return round(when - start, 1) if start is not None else None

    def dnsmasq_event(self, event, when):
        if event["kind"] == "tftp":
            mac = self.by_ip.get(event["ip"])
            if mac:
                self._mark(mac, "boot_file", when)
            return
        node = self.nodes.get(event["mac"])
        if node is None:
            return
        if event["kind"] in ("discover", "request", "ack"):
            # An answer means it asked, even if the log line of the question was missed.
            self._mark(node["mac"], "dhcp", when)
        if event["kind"] == "ack" and event["ip"]:
            node["address"] = event["ip"]
            self.by_ip[event["ip"]] = node["mac"]

    def http_request(self, client_ip, path, when):
        if path.startswith(BOOTED_PATH):
            mac = path[len(BOOTED_PATH):].replace("-", ":").lower()
            if mac in self.nodes:
                # The script ran, so the firmware fetched it even if its request came first.
                self._mark(mac, "boot_file", when)
                self._mark(mac, "booted", when)
            return
        if path.split("?")[0] == BOOT_SCRIPT_PATH:
            mac = self.by_ip.get(client_ip)
            if mac:
                self._mark(mac, "boot_file", when)

    def _mark(self, mac, step, when):
        node = self.nodes[mac]
        if node[step] is None:
            node[step] = self._seconds(node, when) if node["powered_on"] is not None else 0.0

    def done(self):
        return all(n["booted"] is not None for n in self.nodes.values())

    def report(self):
        """One row per node, in the order given, with ``ok`` and ``seconds``."""
        rows = []
        for node in self.nodes.values():
            rows.append({
                "name": node["name"], "mac": node["mac"], "address": node["address"],
                "dhcp_seen": node["dhcp"] is not None, "dhcp_seconds": node["dhcp"],
                "boot_file_fetched": node["boot_file"] is not None, "boot_file_seconds": node["boot_file"],
                "boot_script_ran": node["booted"] is not None, "seconds": node["booted"],
                "ok": node["booted"] is not None,
            })
        return rows


# What SeaBIOS prints once every boot device failed: it halts there, so waiting longer is pointless.
FIRMWARE_GAVE_UP = "No bootable device"


def failure_reason(row):
    if not row["dhcp_seen"]:
        return "no DHCP request from %s on the provisioning VLAN" % row["mac"]
    if not row["boot_file_fetched"]:
        return "asked for an address but never fetched the boot file"
    return "fetched the boot file but never ran the boot script"


# ------------------------------------------------------------------ from the lab model

def plan(model):
    """What the boot check of a lab needs: the provisioning VLAN, the undercloud's own
    provisioning address and introspection pool (the check stands where the undercloud will),
    and each node's expected provisioning MAC, console log and BMC."""
    network = model["network"]
    portgroup = [pg for pg in network["portgroups"] if pg["name"] == network["provisioning_portgroup"]][0]
    conf = model["tripleo"]["undercloud"]
    first, last = [part.strip() for part in conf["inspection_iprange"].split(",")]
    nodes = []
    for node in model["nodes"]:
        mac = [nic["mac"] for nic in node["nics"] if nic["provisioning"]][0]
        nodes.append({"name": node["name"], "mac": mac, "console_log": node["console_log"],
                      "bmc": {"type": model["bmc"]["type"], "address": model["bmc"]["address"],
                              "port": node["bmc_port"]}})
    return {"vlan": portgroup["vlan"], "address": conf["local_ip"], "pool_start": first, "pool_end": last,
            "timeout": model["checks"]["boot_timeout_seconds"], "nodes": nodes}


def report(result, model):
    """boot-check.json: the lab, the VLAN, the verdict and a row per node (no secret in any)."""
    return {"lab": model["name"], "provisioning_portgroup": model["network"]["provisioning_portgroup"],
            "ok": result["ok"], "seconds": result["seconds"],
            "failed": [row["name"] for row in result["nodes"] if not row["ok"]],
            "nodes": result["nodes"]}
