"""The fault and change suite: a lab edited, interrupted and attacked on the real host.

Every case ends by reading the host independently of the product (libvirt, vbmc, the
images directory, the lab record) and counts into the summary line printed at the end:
faults injected / survived, hostile inputs tried / refused.
"""
import json
import os
import pathlib
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import libvirt
import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
if str(REPO / "collections") not in sys.path:
    sys.path.insert(0, str(REPO / "collections"))
FAKES = pathlib.Path(__file__).resolve().parent / "fakes"
IMAGES = "/var/lib/libvirt/images"
VBMC = "/opt/labkit/vbmc/bin/vbmc"
RECORDS = "/var/lib/labkit"
LAB_NAME = "ifault"

COUNTS = {"faults injected": 0, "faults survived": 0, "inputs tried": 0, "inputs refused": 0}


def count(key, amount=1):
    COUNTS[key] += amount


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(
        "fault suite: faults injected %(faults injected)d / survived %(faults survived)d, "
        "inputs tried %(inputs tried)d / refused %(inputs refused)d" % COUNTS)


def base_lab(nodes=("ifault-a", "ifault-b", "ifault-c")):
    return {
        "name": LAB_NAME,
        "network": {"name": "ifault-net", "bridge": "ifault-br0",
                    "portgroups": [{"name": "access-100", "vlan": 100}, {"name": "trunk-1", "trunk": [100, 101]}]},
        "bmc": {"address": "127.0.0.1", "port_start": 7401},
        "undercloud": None,
        "nodes": [{"name": name, "profile": "compute", "vcpus": 1, "memory_mb": 512, "disk_gb": 1,
                   "nics": ["access-100", "trunk-1"]} for name in nodes],
    }


def write_lab(tmp_path, lab, name="lab.yml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"lab": lab}))
    return str(path)


def ansible(playbook, lab_file, *args):
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    return [str(REPO / ".venv" / "bin" / "ansible-playbook"), playbook, "-i", "inventories/default",
            "-e", "@" + lab_file] + list(args), env


def run(playbook, lab_file, *args):
    argv, env = ansible(playbook, lab_file, *args)
    proc = subprocess.run(argv, cwd=str(REPO), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)
    return proc.returncode, proc.stdout


def start(playbook, lab_file, *args, **extra_env):
    """A run in its own process group, so a test can kill it and everything it started."""
    argv, env = ansible(playbook, lab_file, *args)
    env.update(extra_env)
    return subprocess.Popen(argv, cwd=str(REPO), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, start_new_session=True)


def descendants(pid):
    """Every process under ``pid``, however deep, read from /proc."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as stream:
                    ppid = int(stream.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def kill_run(proc):
    """SIGKILL the run and every process under it, as a CI job's kill does.

    ansible-playbook's workers run in sessions of their own, so killing its process group alone
    would leave the module that is running go on to the end. The tree is stopped first, so nothing
    forks while it is being killed.
    """
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        for pid in [proc.pid] + descendants(proc.pid):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
    proc.wait()


def wait_for(predicate, timeout=120, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting for %s" % what)


def changed_count(out):
    recap = [line for line in out.splitlines() if line.startswith("localhost") and "changed=" in line]
    assert recap, out[-3000:]
    return int(recap[-1].split("changed=")[1].split()[0])


def changed_tasks(out):
    """Names of the tasks that reported a change, in order."""
    tasks, current = [], None
    for line in out.splitlines():
        if line.startswith("TASK ["):
            current = line[len("TASK ["):line.rindex("]")]
        elif line.startswith("changed:") and current and current not in tasks:
            tasks.append(current)
    return tasks


def lab_state(lab=LAB_NAME):
    """The lab as the host has it, read without the product's code."""
    conn = libvirt.open("qemu:///system")
    domains = {}
    all_macs = []
    for dom in conn.listAllDomains():
        xml = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
        macs = [part.split("'")[1] for part in xml.split("<mac address=")[1:]]
        all_macs.extend(macs)
        root = ET.fromstring(xml)
        owner = root.find("metadata/{http://labkit.dev/ns/tripleo/1}owner")
        if owner is not None and owner.get("lab") == lab:
            domains[dom.name()] = macs
    conn.close()
    out = subprocess.run([VBMC, "list", "-f", "json"], stdout=subprocess.PIPE, universal_newlines=True, check=False).stdout
    bmcs = dict((row["Domain name"], int(row["Port"])) for row in json.loads(out or "[]"))
    images = sorted(f for f in os.listdir(IMAGES) if lab in f)
    record_dir = os.path.join(RECORDS, lab)
    record = None
    if os.path.exists(os.path.join(record_dir, "state.json")):
        with open(os.path.join(record_dir, "state.json")) as stream:
            record = json.load(stream)
    return {"domains": domains, "all_macs": sorted(all_macs), "bmcs": bmcs, "images": images, "record": record,
            "record_files": sorted(os.listdir(record_dir)) if os.path.isdir(record_dir) else []}


def assert_no_duplicate_mac(state):
    macs = state["all_macs"]
    assert len(macs) == len(set(macs)), "duplicate MAC on the host: %s" % macs


def lab_ports_open():
    """The fault labs' BMC ports (74xx) firewalld has open in any zone, runtime or permanent."""
    found = []
    for flag in ([], ["--permanent"]):
        out = subprocess.run(["firewall-cmd"] + flag + ["--list-all-zones"], stdout=subprocess.PIPE,
                             universal_newlines=True, check=False).stdout
        zone = None
        for line in out.splitlines():
            if line and not line[0].isspace():
                zone = line.split()[0]
            elif line.strip().startswith("ports:"):
                found += ["%s %s %s" % ("permanent" if flag else "runtime", zone, port)
                          for port in line.split(":", 1)[1].split() if port.startswith("74")]
    return found


def assert_nothing_left(lab=LAB_NAME):
    state = lab_state(lab)
    assert state["domains"] == {}, state
    assert not [b for b in state["bmcs"] if b.startswith(lab)], state
    assert state["images"] == [], state
    assert state["record_files"] == [], state
    assert lab_ports_open() == []


@pytest.fixture
def fault_lab(tmp_path):
    """The fault lab, torn down before and after (teardown must leave nothing)."""
    lab_file = write_lab(tmp_path, base_lab(), "teardown-lab.yml")
    run("playbooks/teardown.yml", lab_file)
    yield tmp_path
    rc, out = run("playbooks/teardown.yml", write_lab(tmp_path, base_lab(), "teardown-lab.yml"))
    assert rc == 0, out[-3000:]
    assert_nothing_left()
