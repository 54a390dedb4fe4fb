"""Benchmark: whole-lab snapshots of the default lab's topology (playbooks/snapshot.yml).

Builds the default lab's topology (inventories/default: an undercloud of 4 GiB and three nodes of
1 GiB, the node disks 10 GiB and one extra 5 GiB) under its own name, so a user's default lab is
never touched, then times save, revert and delete:
  - with every VM off (as site.yml leaves the default lab: no undercloud image, nodes off), and
  - with every VM running (started with virsh; without an operating system they run only their
    firmware, so their memory is nearly all untouched and the memory state is small).
Each figure is the module's own clock (the lab_snapshot call) and the whole ansible-playbook
run around it. Not a test: it asserts nothing about speed. Needs root and the daemons.
Usage: python bench/snapshots.py [--repeat 3]
"""
import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

import yaml

REPO = pathlib.Path(__file__).resolve().parents[1]
ANSIBLE_PLAYBOOK = REPO / ".venv" / "bin" / "ansible-playbook"
NAME = "snapbench"


def bench_lab():
    """The default lab's description, every name (and the BMC ports) moved to the bench's own."""
    lab = yaml.safe_load((REPO / "inventories" / "default" / "group_vars" / "all.yml").read_text())["lab"]
    lab["name"] = NAME
    lab["network"]["name"], lab["network"]["bridge"] = NAME + "-net", NAME + "-br0"
    lab["bmc"]["port_start"] = 7301
    lab["undercloud"]["name"] = NAME + "-undercloud"
    for node in lab["nodes"]:
        node["name"] = node["name"].replace("default-", NAME + "-")
    return lab


def playbook(name, lab_file, *extra):
    argv = [str(ANSIBLE_PLAYBOOK), name, "-i", "inventories/default", "-e", "@%s" % lab_file] + list(extra)
    start = time.monotonic()
    proc = subprocess.run(argv, cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(argv), proc.stdout[-3000:]))
    return seconds, proc.stdout


def snapshot(lab_file, action):
    wall, out = playbook("playbooks/snapshot.yml", lab_file, "-e", "snapshot_action=%s" % action,
                         "-e", "snapshot_name=bench")
    # The debug line may be folded by the YAML output: any whitespace before "in".
    found = re.search(r"%s bench: [^']*?\s+in\s+([0-9.]+) s" % action, out)
    if not found:
        sys.exit("no timing in the output of %s:\n%s" % (action, out[-2000:]))
    return float(found.group(1)), wall


def start_every_vm(lab):
    for vm in [lab["undercloud"]] + lab["nodes"]:
        subprocess.run(["virsh", "-q", "-c", "qemu:///system", "start", vm["name"]], check=True,
                       stdout=subprocess.DEVNULL)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--repeat", type=int, default=3, help="save/revert/delete rounds per state; the best is kept")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root")
    lab = bench_lab()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        lab_file = pathlib.Path(tmp) / "snapbench.json"
        lab_file.write_text(json.dumps({"lab": lab}))
        playbook("playbooks/teardown.yml", lab_file)
        try:
            results["build"], _out = playbook("site.yml", lab_file, "--skip-tags", "firewall")
            for state in ("off", "running"):
                if state == "running":
                    start_every_vm(lab)
                best = {}
                for _count in range(args.repeat):
                    for action in ("save", "revert", "delete"):
                        module, wall = snapshot(lab_file, action)
                        for key, value in (("%s_module" % action, module), ("%s_run" % action, wall)):
                            best[key] = min(best.get(key, value), value)
                results[state] = best
        finally:
            playbook("playbooks/teardown.yml", lab_file)
    print("default lab topology (%d VMs), best of %d:" % (1 + len(lab["nodes"]), args.repeat))
    print("%8s | %22s | %22s | %22s" % ("VMs", "save (module / run)", "revert (module / run)", "delete (module / run)"))
    for state in ("off", "running"):
        r = results[state]
        print("%8s | %9.1fs / %8.1fs | %9.1fs / %8.1fs | %9.1fs / %8.1fs" % (
            state, r["save_module"], r["save_run"], r["revert_module"], r["revert_run"],
            r["delete_module"], r["delete_run"]))
    out_dir = REPO / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / ("snapshots-%d.json" % int(time.time()))).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
