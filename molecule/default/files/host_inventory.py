# What exists on the virthost, as JSON: used to prove teardown left nothing behind.
import json
import os
import subprocess

import libvirt


def run(*argv):
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    return proc.stdout if proc.returncode == 0 else ""


conn = libvirt.open("qemu:///system")
vbmc = "/opt/labkit/vbmc/bin/vbmc"
bmcs = json.loads(run(vbmc, "list", "-f", "json") or "[]") if os.path.exists(vbmc) else []
print(json.dumps({
    "domains": sorted(d.name() for d in conn.listAllDomains()),
    "networks": sorted(n.name() for n in conn.listAllNetworks()),
    "bridges": run("ovs-vsctl", "list-br").split(),
    "images": sorted(os.listdir("/var/lib/libvirt/images")),
    "bmcs": sorted(b["Domain name"] for b in bmcs),
    "firewall_services": run("firewall-cmd", "--zone=public", "--list-services").split(),
    "firewall_service_file": os.path.exists("/etc/firewalld/services/labkit-default-bmc.xml"),
}))
