"""Benchmark: the lab's host side with labkit.tripleo against a plain shell sequence.

For each node count, times on this machine (localhost as the virthost):
  - ansible fresh:    ansible-playbook site.yml on a clean host
  - ansible no-op:    the same again (changed=0)
  - ansible floor:    bench/noop_floor.yml right after it: a playbook of the no-op's shape (its
                      module calls, argument checks, other and skipped tasks, plays) whose
                      module calls are builtin modules that ask nothing of the lab; what
                      Ansible alone costs for a run of that shape
  - ansible bmc tag:  site.yml --tags bmc on the built lab (one phase alone)
  - ansible teardown: playbooks/teardown.yml of the built lab
  - teardown floor:   bench/teardown_floor.yml right after it, the same for the teardown's shape
and for the shell node counts:
  - shell fresh:    the same steps by hand: ovs-vsctl, virsh net-define/start/autostart,
                    then per node qemu-img create, virt-install --print-xml | virsh define,
                    vbmc add, vbmc start, ipmitool power status (the floor the goals are
                    measured against)
  - shell no-op:    the idempotent version of that script run again (each step guarded by
                    an existence check, each BMC asked for its power state)
It then prints the table and each goal of the speed issue with what was measured: fresh build and
no-op re-run against the shell floor, the per-node cost of a fresh build (least-squares slope
over the node counts), one phase alone, teardown against build. The firewall step is left out
of both sides (the shell sequence of the reference write-up opens the ports by hand once).
The BMC processes' memory is bench/bmc_types.py's.

Each size is measured in --repeat rounds, the shell right after the Ansible runs of the same
round. The table shows each time's median, and each ratio is the median over the rounds of that
round's ratio: a machine whose speed drifts (a shared VM's does by 30 % within minutes) is then
compared with itself seconds apart, not with another minute of it.

Not a test: it asserts nothing about speed. It needs the daemons running
(scripts/start-daemons) and root.
Usage: bench/host_build.py [--nodes 5 20 50] [--shell-nodes 20] [--repeat 3]
"""
import argparse
import json
import os
import pathlib
import re
import secrets
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
ANSIBLE_PLAYBOOK = REPO / ".venv" / "bin" / "ansible-playbook"
NOOP_FLOOR = REPO / "bench" / "noop_floor.yml"
TEARDOWN_FLOOR = REPO / "bench" / "teardown_floor.yml"
VBMC = "/opt/labkit/vbmc/bin/vbmc"
IMAGES = "/var/lib/libvirt/images"
PORT_START = 7201
# Generated per run, given to both sides so they use the same one.
PASSWORD = secrets.token_hex(8)


def lab(prefix, nodes):
    return {
        "name": prefix,
        "network": {"name": prefix + "-net", "bridge": prefix + "-br0",
                    "portgroups": [{"name": "access-100", "vlan": 100}, {"name": "trunk-1", "trunk": [100, 101, 102]}]},
        "bmc": {"address": "127.0.0.1", "port_start": PORT_START, "password": PASSWORD},
        "nodes": [{"name": "%s-node-%d" % (prefix, i), "profile": "compute", "vcpus": 1, "memory_mb": 256,
                   "disk_gb": 1, "nics": ["access-100"]} for i in range(nodes)],
    }


def run(argv, **kwargs):
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, **kwargs, check=False)
    if proc.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(map(str, argv)), proc.stdout[-3000:]))
    return proc.stdout


def timed(argv, **kwargs):
    start = time.monotonic()
    out = run(argv, **kwargs)
    return time.monotonic() - start, out


def playbook(name, lab_file, *extra):
    return [str(ANSIBLE_PLAYBOOK), name, "-i", "inventories/default", "-e", "@%s" % lab_file,
            "--skip-tags", "firewall"] + list(extra)


def shell_script(spec, guarded):
    """The by-hand sequence, as a bash script; guarded=True is its idempotent form."""
    net, br = spec["network"]["name"], spec["network"]["bridge"]
    q = shlex.quote
    lines = ["set -euo pipefail", "export IPMI_PASSWORD=%s" % q(PASSWORD)]
    net_xml = ("<network><name>%s</name><forward mode='bridge'/><bridge name='%s'/>"
               "<virtualport type='openvswitch'/>"
               "<portgroup name='access-100'><vlan><tag id='100'/></vlan></portgroup>"
               "<portgroup name='trunk-1'><vlan trunk='yes'><tag id='100'/><tag id='101'/><tag id='102'/></vlan>"
               "</portgroup></network>") % (net, br)
    guard = (lambda check, cmd: "%s >/dev/null 2>&1 || %s" % (check, cmd)) if guarded else (lambda check, cmd: cmd)
    lines.append(guard("ovs-vsctl br-exists %s" % br,
                       "ovs-vsctl add-br %s -- set Bridge %s datapath_type=netdev" % (br, br)))
    lines.append(guard("virsh -c qemu:///system net-info %s" % net,
                       "{ echo %s > /tmp/bench-net.xml; virsh -q -c qemu:///system net-define /tmp/bench-net.xml; "
                       "virsh -q -c qemu:///system net-start %s; virsh -q -c qemu:///system net-autostart %s; }"
                       % (q(net_xml), net, net)))
    for index, node in enumerate(spec["nodes"]):
        name, port = node["name"], PORT_START + index
        disk = "%s/%s.qcow2" % (IMAGES, name)
        mac = "52:54:00:be:%02x:00" % index
        lines.append(guard("test -e %s" % disk,
                           "qemu-img create -q -f qcow2 -o preallocation=metadata %s 1G" % disk))
        lines.append(guard(
            "virsh -c qemu:///system dominfo %s" % name,
            "virt-install --print-xml --name %s --vcpus 1 --memory 256 --virt-type qemu --osinfo detect=on,require=off "
            "--disk path=%s,format=qcow2,bus=virtio --network network=%s,portgroup=access-100,mac=%s,model=virtio "
            "--boot network,hd --noautoconsole --graphics vnc,listen=127.0.0.1 > /tmp/bench-dom.xml && "
            "virsh -q -c qemu:///system define /tmp/bench-dom.xml >/dev/null" % (name, disk, net, mac)))
        lines.append(guard("%s show %s" % (VBMC, name),
                           "%s add %s --address 127.0.0.1 --port %d --username admin --password %s --libvirt-uri "
                           "qemu:///system" % (VBMC, name, port, q(PASSWORD))))
        if guarded:
            lines.append("%s show %s -f value -c Value | grep -qx running || %s start %s"
                         % (VBMC, name, VBMC, name))
        else:
            lines.append("%s start %s" % (VBMC, name))
    for index, node in enumerate(spec["nodes"]):
        lines.append("ipmitool -I lanplus -H 127.0.0.1 -p %d -U admin -E power status >/dev/null"
                     % (PORT_START + index))
    return "\n".join(lines) + "\n"


def shell_cleanup(spec):
    net, br = spec["network"]["name"], spec["network"]["bridge"]
    lines = []
    for node in spec["nodes"]:
        lines += ["%s delete %s >/dev/null 2>&1 || true" % (VBMC, node["name"]),
                  "virsh -q -c qemu:///system undefine %s >/dev/null 2>&1 || true" % node["name"],
                  "rm -f %s/%s.qcow2" % (IMAGES, node["name"])]
    lines += ["virsh -q -c qemu:///system net-destroy %s >/dev/null 2>&1 || true" % net,
              "virsh -q -c qemu:///system net-undefine %s >/dev/null 2>&1 || true" % net,
              "ovs-vsctl --if-exists del-br %s" % br]
    return "\n".join(lines) + "\n"


def measure_ansible(nodes, workdir):
    results = {}
    spec = lab("bench", nodes)
    lab_file = workdir / ("bench-%d.json" % nodes)
    lab_file.write_text(json.dumps({"lab": spec}))
    run(playbook("playbooks/teardown.yml", lab_file), cwd=str(REPO))
    results["ansible_fresh"], _unused = timed(playbook("site.yml", lab_file), cwd=str(REPO))
    results["ansible_noop"], out = timed(playbook("site.yml", lab_file), cwd=str(REPO))
    if " changed=0 " not in out:
        sys.exit("the no-op re-run changed something:\n" + out[-3000:])
    results["ansible_floor"] = time_floor(NOOP_FLOOR, out)
    results["ansible_bmc_tag"], out = timed(playbook("site.yml", lab_file, "--tags", "bmc"), cwd=str(REPO))
    if " changed=0 " not in out:
        sys.exit("--tags bmc on the built lab changed something:\n" + out[-3000:])
    results["ansible_teardown"], out = timed(playbook("playbooks/teardown.yml", lab_file), cwd=str(REPO))
    results["teardown_floor"] = time_floor(TEARDOWN_FLOOR, out)
    return results


def time_floor(floor_playbook, measured_out):
    """Seconds of ``floor_playbook``; warns when its shape is no longer that of the run it stands for."""
    seconds, out = timed([str(ANSIBLE_PLAYBOOK), str(floor_playbook), "-i", "inventories/default"], cwd=str(REPO))
    if recap_shape(out) != recap_shape(measured_out):
        print("warning: %s no longer has the shape of the run it stands for (ok and skipped %s, the run's %s):"
              " update it" % (floor_playbook.name, recap_shape(out), recap_shape(measured_out)), file=sys.stderr)
    return seconds


def recap_shape(out):
    """The (ok, skipped) task counts of a playbook run's recap."""
    match = re.search(r" ok=(\d+) .* skipped=(\d+) ", out)
    return (int(match.group(1)), int(match.group(2))) if match else None


def measure_shell(nodes):
    results = {}
    shell_spec = lab("shbench", nodes)
    cleanup = shell_cleanup(shell_spec)
    run(["bash", "-c", cleanup])
    results["shell_fresh"], _unused = timed(["bash", "-c", shell_script(shell_spec, guarded=False)])
    results["shell_noop"], _unused = timed(["bash", "-c", shell_script(shell_spec, guarded=True)])
    run(["bash", "-c", cleanup])
    return results


def slope(points):
    """Least-squares slope of (x, y) points: seconds per node."""
    n = len(points)
    mean_x = sum(x for x, _y in points) / n
    mean_y = sum(y for _x, y in points) / n
    var = sum((x - mean_x) ** 2 for x, _y in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / var if var else float("nan")


def paired_ratio(rounds, numerator, denominator):
    """Median over the rounds of each round's numerator / denominator."""
    return statistics.median(a / b for a, b in zip(rounds[numerator], rounds[denominator]))


def goals(rows, floor_nodes):
    """(goal, measured, target, met) for each goal of the speed issue that these rows measure.

    ``rows`` maps a node count to each measurement's values, one per round.
    """
    rounds = rows.get(floor_nodes, {})
    median = dict((key, statistics.median(values)) for key, values in rounds.items())
    out = []
    if "shell_fresh" in rounds and "ansible_fresh" in rounds:
        ratio = paired_ratio(rounds, "ansible_fresh", "shell_fresh")
        out.append(("%d-node fresh build / shell floor" % floor_nodes, "%.2fx (%.1f s / %.1f s)" % (
            ratio, median["ansible_fresh"], median["shell_fresh"]), "<= 0.70x", ratio <= 0.7))
        ratio = paired_ratio(rounds, "ansible_noop", "shell_fresh")
        out.append(("%d-node no-op re-run / shell floor" % floor_nodes, "%.2fx (%.1f s)" % (
            ratio, median["ansible_noop"]), "<= 0.35x", ratio <= 0.35))
        if "ansible_floor" in rounds:
            # Not a goal: where the 0.35x line falls against what Ansible alone costs for a run of
            # the no-op's shape, and how far above that the no-op is.
            ratio = paired_ratio(rounds, "ansible_floor", "shell_fresh")
            out.append(("Ansible floor of the no-op's shape / shell floor", "%.2fx (%.1f s)" % (
                ratio, median["ansible_floor"]), "-", None))
            ratio = paired_ratio(rounds, "ansible_noop", "ansible_floor")
            out.append(("%d-node no-op re-run / its Ansible floor" % floor_nodes, "%.2fx" % ratio, "-", None))
    sizes = sorted(n for n in rows if "ansible_fresh" in rows[n])
    if len(sizes) >= 2:
        per_node = slope([(n, statistics.median(rows[n]["ansible_fresh"])) for n in sizes])
        out.append(("per-node cost of a fresh build (fit over %s nodes)" % ", ".join(map(str, sizes)),
                    "%.3f s" % per_node, "<= 0.15 s", per_node <= 0.15))
    if "ansible_bmc_tag" in rounds:
        out.append(("--tags bmc on the built %d-node lab" % floor_nodes, "%.1f s" % median["ansible_bmc_tag"],
                    "< 4 s", median["ansible_bmc_tag"] < 4))
        ratio = paired_ratio(rounds, "ansible_teardown", "ansible_fresh")
        out.append(("%d-node teardown / its build" % floor_nodes, "%.2fx (%.1f s)" % (
            ratio, median["ansible_teardown"]), "<= 0.50x", ratio <= 0.5))
        if "teardown_floor" in rounds:
            ratio = paired_ratio(rounds, "teardown_floor", "ansible_fresh")
            out.append(("Ansible floor of the teardown's shape / the build", "%.2fx (%.1f s)" % (
                ratio, median["teardown_floor"]), "-", None))
    return out


def cell(rounds, key):
    return "%12.1fs" % statistics.median(rounds[key]) if key in rounds else "%13s" % "-"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[5, 20, 50])
    parser.add_argument("--shell-nodes", type=int, nargs="+", default=[20],
                        help="node counts the shell floor is measured for (the goals use the largest)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="rounds per size; medians are reported, ratios paired within a round")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root")
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for nodes in sorted(set(args.nodes) | set(args.shell_nodes)):
            rounds = {}
            for _count in range(args.repeat):
                results = measure_ansible(nodes, pathlib.Path(tmp)) if nodes in args.nodes else {}
                if nodes in args.shell_nodes:
                    results.update(measure_shell(nodes))
                for key, value in results.items():
                    rounds.setdefault(key, []).append(value)
            rows[nodes] = rounds
    header = ("nodes", "ansible fresh", "no-op", "--tags bmc", "teardown", "no-op floor", "teardown floor",
              "shell fresh", "shell no-op")
    print("%5s | %13s %13s %13s %13s %13s %14s | %13s %13s" % header)
    for nodes, r in sorted(rows.items()):
        cells = [cell(r, key) for key in ("ansible_fresh", "ansible_noop", "ansible_bmc_tag", "ansible_teardown",
                                          "ansible_floor", "teardown_floor", "shell_fresh", "shell_noop")]
        print("%5d | %s %s %s %s %s  %s | %s %s" % tuple([nodes] + cells))
    print()
    for goal, measured, target, met in goals(rows, max(args.shell_nodes)):
        print("%-55s %-26s %-10s %s" % (goal, measured, target, "-" if met is None else "met" if met else "NOT MET"))
    out_dir = REPO / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / ("host_build-%d.json" % int(time.time()))).write_text(
        json.dumps([dict(nodes=n, rounds=r) for n, r in sorted(rows.items())], indent=2))


if __name__ == "__main__":
    main()
