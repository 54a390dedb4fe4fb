# What exists on the virthost, as JSON on stdout. Used by the molecule scenario and the
# integration tests to prove that a run created, changed or left nothing.
# Runs with the system Python (python3-libvirt); needs no project code.
import hashlib
import json
import os
import subprocess

import libvirt

IMAGES = "/var/lib/libvirt/images"
VBMC = "/opt/labkit/vbmc/bin/vbmc"
SERVICES = "/etc/firewalld/services"
CONSOLE_LOGS = "/var/log/libvirt/qemu"
# Where the Redfish emulator keeps its configuration, pid and log.
LABKIT_DIRS = ("/etc/labkit", "/run/labkit", "/var/log/labkit")


def run(*argv):
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    except OSError:
        return ""
    return proc.stdout if proc.returncode == 0 else ""


def digest(text):
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def tree(top):
    """Every directory and file under ``top`` (top itself included), or [] when it does not exist."""
    if not os.path.isdir(top):
        return []
    paths = []
    for root, dirs, files in os.walk(top):
        paths.append(root + "/")
        paths.extend(os.path.join(root, f) for f in files)
    return sorted(paths)


def emulators():
    """Command lines of running sushy-emulator processes."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid) as handle:
                args = [a for a in handle.read().split("\0") if a]
        except OSError:
            continue
        if any(os.path.basename(a) == "sushy-emulator" for a in args):
            found.append(" ".join(args))
    return sorted(found)


conn = libvirt.open("qemu:///system")
bmcs = json.loads(run(VBMC, "list", "-f", "json") or "[]") if os.path.exists(VBMC) else []
print(json.dumps({
    "domains": sorted(d.name() for d in conn.listAllDomains()),
    "domain_xml": dict((d.name(), digest(d.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))) for d in conn.listAllDomains()),
    "networks": sorted(n.name() for n in conn.listAllNetworks()),
    "bridges": run("ovs-vsctl", "list-br").split(),
    "ovs_ports": run("ovs-vsctl", "--format=json", "--columns=name,tag,trunks", "list", "Port"),
    "images": sorted(os.listdir(IMAGES)) if os.path.isdir(IMAGES) else [],
    "bmcs": sorted(b["Domain name"] for b in bmcs),
    "firewall_services": run("firewall-cmd", "--zone=public", "--list-services").split(),
    "firewall_permanent_services": run("firewall-cmd", "--permanent", "--zone=public", "--list-services").split(),
    "firewall_rich_rules": run("firewall-cmd", "--zone=public", "--list-rich-rules").splitlines(),
    "firewall_permanent_rich_rules": run("firewall-cmd", "--permanent", "--zone=public",
                                         "--list-rich-rules").splitlines(),
    "firewall_ports": run("firewall-cmd", "--zone=public", "--list-ports").split(),
    "firewall_permanent_ports": run("firewall-cmd", "--permanent", "--zone=public", "--list-ports").split(),
    "labkit_files": [p for top in LABKIT_DIRS for p in tree(top)],
    "redfish_emulators": emulators(),
    "firewall_service_files": sorted(os.listdir(SERVICES)) if os.path.isdir(SERVICES) else [],
    # The boot check's namespace and the domains' serial console logs.
    "netns": sorted(os.listdir("/run/netns")) if os.path.isdir("/run/netns") else [],
    "console_logs": sorted(f for f in os.listdir(CONSOLE_LOGS) if "-console.log" in f)
    if os.path.isdir(CONSOLE_LOGS) else [],
    # Every address on the host's own interfaces: the provisioning network must never appear here.
    "host_addresses": sorted("%s %s/%s" % (link["ifname"], a["local"], a["prefixlen"])
                             for link in json.loads(run("ip", "-j", "addr", "show") or "[]")
                             for a in link.get("addr_info", [])),
}, sort_keys=True))
