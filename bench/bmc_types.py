"""Benchmark: the BMC phase with IPMI (one VirtualBMC per node) against Redfish (one
sushy-tools emulator for the lab), on this machine with localhost as the virthost.

For each node count and BMC type it builds the lab's host side once without its BMCs, then
times `site.yml --tags bmc` on no BMC (fresh) and again (no-op, changed=0), and reads the
memory the BMCs hold: the proportional set size (PSS, shared pages split between the
processes that share them) of the processes the phase added. Then it tears the lab down.

Not a test: it asserts nothing about speed. Needs root and the daemons running
(scripts/start-daemons). Usage: bench/bmc_types.py [--nodes 5 20]
"""
import argparse
import json
import os
import pathlib
import re
import secrets
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
ANSIBLE_PLAYBOOK = REPO / ".venv" / "bin" / "ansible-playbook"
PASSWORD = secrets.token_hex(8)


def lab(nodes, bmc_type):
    bmc = {"type": bmc_type, "address": "127.0.0.1", "password": PASSWORD}
    bmc.update({"port": 7251} if bmc_type == "redfish" else {"port_start": 7201})
    return {"lab": {
        "name": "benchbmc",
        "network": {"name": "benchbmc-net", "bridge": "benchbmc-br0",
                    "portgroups": [{"name": "access-100", "vlan": 100}]},
        "bmc": bmc,
        "nodes": [{"name": "benchbmc-node-%d" % i, "profile": "compute", "vcpus": 1, "memory_mb": 256,
                   "disk_gb": 1, "nics": ["access-100"]} for i in range(nodes)],
    }}


def playbook(name, spec_path, *args):
    start = time.monotonic()
    proc = subprocess.run([str(ANSIBLE_PLAYBOOK), name, "-i", "inventories/default", "-e", "@%s" % spec_path]
                          + list(args), cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, env=dict(os.environ, ANSIBLE_NOCOLOR="1"), check=False)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit("failed: %s\n%s" % (name, proc.stdout[-3000:]))
    changed = int(re.search(r"changed=(\d+)", proc.stdout.split("PLAY RECAP")[-1]).group(1))
    return elapsed, changed


def pss_by_pid():
    """PSS in kB of every process that reports it."""
    result = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/smaps_rollup" % pid) as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        result[int(pid)] = int(line.split()[1])
        except OSError:
            continue
    return result


def bench(nodes, bmc_type, workdir):
    spec = pathlib.Path(workdir) / ("%s-%d.yml" % (bmc_type, nodes))
    spec.write_text(json.dumps(lab(nodes, bmc_type)))
    playbook("playbooks/teardown.yml", spec)
    playbook("site.yml", spec, "--skip-tags", "bmc,firewall,verify,instackenv")
    before = pss_by_pid()
    fresh, _unused = playbook("site.yml", spec, "--tags", "bmc")
    time.sleep(2)
    after = pss_by_pid()
    added_mb = sum(kb for pid, kb in after.items() if pid not in before) / 1024.0
    noop, changed = playbook("site.yml", spec, "--tags", "bmc")
    playbook("playbooks/teardown.yml", spec)
    return {"nodes": nodes, "type": bmc_type, "fresh": fresh, "noop": noop, "noop_changed": changed,
            "processes_mb": added_mb}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[5, 20])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for nodes in args.nodes:
            for bmc_type in ("ipmi", "redfish"):
                rows.append(bench(nodes, bmc_type, workdir))
                print(json.dumps(rows[-1]), file=sys.stderr)
    print("| nodes | BMC type | bmc phase fresh | bmc phase no-op (changed) | memory of the BMC processes (PSS) |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| %(nodes)d | %(type)s | %(fresh).1f s | %(noop).1f s (%(noop_changed)d) | %(processes_mb).0f MB |" % row)
    # The speed issue's goal: the BMCs of 20 nodes in at most 50 MB with Redfish (IPMI beside it).
    for row in rows:
        if row["nodes"] == max(args.nodes):
            target = "<= 50 MB" if row["type"] == "redfish" else "(reported beside it)"
            verdict = ("met" if row["processes_mb"] <= 50 else "NOT MET") if row["type"] == "redfish" else ""
            goal = "BMC memory, %d nodes, %s" % (row["nodes"], row["type"])
            print("%-55s %-26s %-10s %s" % (goal, "%.0f MB" % row["processes_mb"], target, verdict))


if __name__ == "__main__":
    main()
