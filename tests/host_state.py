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


def run(*argv):
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    except OSError:
        return ""
    return proc.stdout if proc.returncode == 0 else ""


def digest(text):
    return hashlib.sha256(text.encode()).hexdigest()[:16]


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
    "firewall_service_files": sorted(os.listdir(SERVICES)) if os.path.isdir(SERVICES) else [],
}, sort_keys=True))
