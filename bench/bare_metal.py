"""Benchmark: the bare-metal life cycle of the lab's default node size, for 1 and 2 nodes at once.

For each node count it builds the itestbm lab (tests/integration/labs/itestbm.yml) with nodes
of the default lab's size (inventories/default: 1 vCPU, 1024 MiB, 10 GiB), starts the real Ironic of the bare-metal tests in a
namespace on the lab's provisioning VLAN (tests/integration/baremetal.py), runs site.yml (the
register phase imports, inspects every node at once and provides), then deploys every node at
once with metalsmith and waits for each to boot its disk; then tears everything down.

While it runs, a sampler reads every 0.5 s: each domain's state (power-on), dnsmasq's log
(the node's MAC gets an address), Ironic's API log (the agent's first call from that
address), Ironic's node records (inspection done, active), the console logs (booted from
disk) and each qemu process's peak resident memory (VmHWM). Printed per node, in seconds from
its power-on; plus the inspection wall time for N=1 and N=2 and their ratio.

Not a test: it asserts nothing about speed. Needs root, the daemons (scripts/start-daemons)
and tests/ironic/setup. Usage: bench/bare_metal.py [--nodes 1 2]
"""
import argparse
import json
import pathlib
import re
import sys
import tempfile
import threading
import time
import urllib.request

import yaml

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))
sys.path.insert(0, str(REPO / "collections"))

import libvirt  # noqa: E402

from baremetal import BareMetalIronic, build  # noqa: E402
from conftest import playbook  # noqa: E402
from ansible_collections.labkit.tripleo.plugins.module_utils import pxe_responder  # noqa: E402
from ansible_collections.labkit.tripleo.plugins.module_utils.lab_model import normalize  # noqa: E402
import test_bare_metal as lifecycle  # noqa: E402

_API_LINE = re.compile(r"ironic\.api \[[^]]*\] (\d+\.\d+\.\d+\.\d+) - (GET|POST|PUT|PATCH) (\S+) - \d+")


class Sampler(threading.Thread):
    def __init__(self, ironic, names, consoles):
        super().__init__(daemon=True)
        self.ironic, self.names, self.consoles = ironic, names, consoles
        self.events = dict((n, {}) for n in names)
        self.peak_rss_mb = dict((n, 0) for n in names)
        self.stop = False
        self.offsets = {}

    def mark(self, name, what, when):
        self.events[name].setdefault(what, when)

    def new_lines(self, path):
        try:
            with open(path, errors="replace") as handle:
                handle.seek(self.offsets.get(path, 0))
                text = handle.read()
                self.offsets[path] = handle.tell()
            return text.splitlines()
        except OSError:
            return []

    def run(self):
        conn = libvirt.open("qemu:///system")
        macs = dict((vm["provisioning_mac"], vm["name"]) for vm in
                    [lifecycle.described(n) for n in self.names])
        ips = {}
        while not self.stop:
            now = time.time()
            for name in self.names:
                try:
                    dom = conn.lookupByName(name)
                except libvirt.libvirtError:
                    continue  # torn down under the sampler
                if dom.isActive():
                    self.mark(name, "power_on", now)
                    pid = open("/run/libvirt/qemu/%s.pid" % name).read().strip()
                    try:
                        status = open("/proc/%s/status" % pid).read()
                        hwm = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) // 1024
                        self.peak_rss_mb[name] = max(self.peak_rss_mb[name], hwm)
                    except (OSError, AttributeError):
                        pass
                if disk_marker_seen(self.consoles[name]):
                    self.mark(name, "booted_from_disk", now)
            for line in self.new_lines(self.ironic.state / "dnsmasq.log"):
                event = pxe_responder.parse_dnsmasq_line(line)
                if event and event["kind"] == "ack" and event["mac"] in macs:
                    ips[event["ip"]] = macs[event["mac"]]
                    self.mark(macs[event["mac"]], "dhcp", now)
            for line in self.new_lines(self.ironic.state / "ironic.log"):
                match = _API_LINE.search(line)
                if match and match.group(1) in ips:
                    self.mark(ips[match.group(1)], "agent_first_call", now)
            try:
                url = "http://127.0.0.1:6386/v1/nodes?fields=name,provision_state,inspection_finished_at"
                request = urllib.request.Request(url, headers={"X-OpenStack-Ironic-API-Version": "1.81"})
                nodes = json.loads(urllib.request.urlopen(request, timeout=2).read())["nodes"]
            except OSError:
                nodes = []
            for node in nodes:
                if node["name"] in self.events:
                    if node["inspection_finished_at"]:
                        self.mark(node["name"], "inspected", now)
                    if node["provision_state"] == "active":
                        self.mark(node["name"], "active", now)
            time.sleep(0.5)


def disk_marker_seen(path):
    try:
        return lifecycle.DISK_MARKER in open(path, errors="replace").read()
    except OSError:
        return False


def run(count, workdir):
    spec = yaml.safe_load(lifecycle.LAB.read_text())
    # The default lab's node size (inventories/default): vCPUs, memory and root disk.
    default = yaml.safe_load((REPO / "inventories" / "default" / "group_vars" / "all.yml").read_text())
    size = dict((k, default["lab"]["nodes"][0][k]) for k in ("vcpus", "memory_mb", "disk_gb"))
    template = dict(spec["lab"]["nodes"][0], **size)
    spec["lab"]["nodes"] = [dict(template, name="itestbm-node-%d" % (i + 1)) for i in range(count)]
    lab = workdir / ("bench-%d.yml" % count)
    lab.write_text(yaml.safe_dump(spec))
    lifecycle.lab_playbook(lab, "playbooks/teardown.yml")
    ramdisk, image = build("build-ramdisk"), build("build-disk-image")
    rc, out = playbook("site.yml", "-e", "@%s" % lab, "--tags", "network")
    assert rc == 0, out[-3000:]
    plan = pxe_responder.plan(normalize(spec["lab"]))
    ironic = BareMetalIronic(lifecycle.NAMESPACE, spec["lab"]["network"]["bridge"], plan["vlan"], plan["address"],
                             (plan["pool_start"], plan["pool_end"]), [n["mac"] for n in plan["nodes"]],
                             sorted(set((n["bmc"]["type"], n["bmc"]["port"]) for n in plan["nodes"])),
                             lifecycle.STATE)
    ironic.image_sha256 = (image / "disk.raw.sha256").read_text().split()[0]
    names = [n["name"] for n in spec["lab"]["nodes"]]
    try:
        ironic.start(ramdisk, image)
        start = time.time()
        # Builds the host side (the domains, with their console logs) and registers.
        rc, out = lifecycle.lab_playbook(lab, "site.yml", "--tags", "network,disks,domains,bmc,firewall,verify,"
                                                                    "instackenv")
        assert rc == 0, out[-3000:]
        consoles = dict((n, lifecycle.described(n)["console_log"]) for n in names)
        sampler = Sampler(ironic, names, consoles)
        sampler.start()
        register_start = time.time()
        rc, out = lifecycle.lab_playbook(lab, "site.yml", "--tags", "register")
        assert rc == 0, out[-4000:]
        register_seconds = time.time() - register_start
        # Ironic powered the nodes off after inspection: the next power-on is the deploy's.
        first_power_on = dict((n, sampler.events[n].pop("power_on", None)) for n in names)
        peak_inspection = dict(sampler.peak_rss_mb)
        deploy_start = time.time()
        lifecycle.deploy_and_boot(ironic, names)
        sampler.stop = True
        sampler.join()
        result = {"nodes": count, "register_phase_seconds": round(register_seconds, 1),
                  "build_seconds": round(register_start - start, 1), "per_node": {}}
        for name in names:
            events, on = sampler.events[name], first_power_on[name]
            rel = dict((k, round(events[k] - on, 1) if k in events and on else None)
                       for k in ("dhcp", "agent_first_call", "inspected"))
            rel["active_after_deploy_start"] = round(events["active"] - deploy_start, 1) if "active" in events else None
            rel["booted_from_disk_after_deploy_start"] = (round(events["booted_from_disk"] - deploy_start, 1)
                                                          if "booted_from_disk" in events else None)
            rel["peak_rss_mb_inspection"] = peak_inspection[name]
            rel["peak_rss_mb"] = sampler.peak_rss_mb[name]
            result["per_node"][name] = rel
        ons = [t for t in first_power_on.values() if t]
        done = [sampler.events[n].get("inspected") for n in names]
        result["inspection_wall_seconds"] = round(max(done) - min(ons), 1) if ons and all(done) else None
        return result
    finally:
        lifecycle.lab_playbook(lab, "playbooks/teardown.yml")
        ironic.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    lifecycle.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for count in args.nodes:
            results.append(run(count, pathlib.Path(tmp)))
            print(json.dumps(results[-1], indent=2, sort_keys=True), flush=True)
    print("\n| nodes | node | power-on to DHCP | to agent's first call | to inspected | deploy: active "
          "| deploy: booted from disk | qemu peak RSS |")
    print("|---|---|---|---|---|---|---|---|")
    for result in results:
        for name, row in sorted(result["per_node"].items()):
            print("| %d | %s | %s s | %s s | %s s | %s s | %s s | %s MB |" % (
                result["nodes"], name, row["dhcp"], row["agent_first_call"], row["inspected"],
                row["active_after_deploy_start"], row["booted_from_disk_after_deploy_start"], row["peak_rss_mb"]))
    walls = dict((r["nodes"], r["inspection_wall_seconds"]) for r in results)
    for count, wall in sorted(walls.items()):
        print("inspection of %d node(s) at once: %s s wall (register phase %s s)"
              % (count, wall, [r["register_phase_seconds"] for r in results if r["nodes"] == count][0]))
    if walls.get(1) and walls.get(2):
        print("2 nodes / 1 node inspection wall time: %.2fx (goal: at most 1.3x)" % (walls[2] / walls[1]))


if __name__ == "__main__":
    main()
