"""The whole bare-metal life cycle of lab nodes, with a real Ironic and a real agent ramdisk.

site.yml builds the lab and its register phase imports the project's own instackenv.json
through real python-tripleoclient into Ironic 39 running in a namespace on the lab's
provisioning VLAN (tests/integration/baremetal.py), inspects every node through Ironic (powered
on through the lab's BMC, PXE and iPXE, the agent ramdisk built by tests/ironic/ipa/build-ramdisk
reporting back), checks what inspection found against the lab and provides the nodes. The tests
then check the inspected inventory against lab.json, deploy with metalsmith and Ironic's direct
deploy (a small whole-disk image from tests/ironic/ipa/build-disk-image), watch the node boot
that disk on its serial console, undeploy, and tear the lab down.

IPMI (VirtualBMC) runs the whole cycle; Redfish (sushy-tools) runs it up to inspection; two
nodes at once are in the `slow` marker.
"""
import contextlib
import json
import re
import subprocess
import time

import pytest
import yaml

from baremetal import OPENSTACK, BareMetalIronic, build
from conftest import LABS, REPO, host_state, playbook
from ansible_collections.labkit.tripleo.plugins.module_utils import pxe_responder
from ansible_collections.labkit.tripleo.plugins.module_utils.lab_model import normalize

LAB = LABS / "itestbm.yml"
INVENTORY = "tests/integration/inventory-tripleo"
STATE = "/opt/labkit-test/bm-state"
NAMESPACE = "itestbm-prov"
DISK_MARKER = "labkit-disk-image: booted from disk"
METALSMITH = str(OPENSTACK.parent / "metalsmith")
ARTIFACTS = REPO / "artifacts" / "itestbm"


def lab_playbook(lab, name, *args):
    extra = ["--skip-tags", "undercloud,deploy,validate"] if name == "site.yml" else []
    return playbook(name, "-i", INVENTORY, "-e", "@%s" % lab, *(list(args) + extra))


def described(name):
    return [vm for vm in json.loads((ARTIFACTS / "lab.json").read_text())["vms"] if vm["name"] == name][0]


def wait_for_console(path, text, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if text in open(path, errors="replace").read():
                return True
        except OSError:
            pass
        time.sleep(2)
    return False


def metalsmith(ironic, *args):
    # -q: metalsmith's summary asks Neutron for the node's addresses; there is no Neutron here.
    proc = subprocess.run([METALSMITH, "-q", "--os-cloud", "undercloud"] + list(args), env=ironic.env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:] + ironic.log_tail()


@contextlib.contextmanager
def bare_metal_lab(tmp_path, bmc=None, nodes=1):
    """The itestbm lab (with ``bmc`` and ``nodes`` nodes) on its bridge, and Ironic beside it."""
    spec = yaml.safe_load(LAB.read_text())
    if bmc:
        spec["lab"]["bmc"] = bmc
    template = spec["lab"]["nodes"][0]
    spec["lab"]["nodes"] = [dict(template, name="itestbm-node-%d" % (i + 1)) for i in range(nodes)]
    lab = tmp_path / "itestbm.yml"
    lab.write_text(yaml.safe_dump(spec))
    lab_playbook(lab, "playbooks/teardown.yml")
    # Ironic's and tripleoclient's venvs (about 2 min on a fresh machine, 0.1 s after), then the
    # ramdisk and the disk image (cached by their inputs).
    subprocess.run([str(REPO / "tests" / "ironic" / "setup")], check=True, stdout=subprocess.DEVNULL)
    ramdisk, image = build("build-ramdisk"), build("build-disk-image")
    # The bridge first: Ironic's namespace hangs on it.
    rc, out = playbook("site.yml", "-e", "@%s" % lab, "--tags", "network")
    assert rc == 0, out[-3000:]
    # Ironic stands where the undercloud will: its local_ip, its introspection pool.
    plan = pxe_responder.plan(normalize(spec["lab"]))
    harness = BareMetalIronic(NAMESPACE, spec["lab"]["network"]["bridge"], plan["vlan"], plan["address"],
                              (plan["pool_start"], plan["pool_end"]), [n["mac"] for n in plan["nodes"]],
                              sorted(set((n["bmc"]["type"], n["bmc"]["port"]) for n in plan["nodes"])), STATE)
    harness.image_sha256 = (image / "disk.raw.sha256").read_text().split()[0]
    torn_down = False
    try:
        harness.start(ramdisk, image)
        yield harness, lab, [n["name"] for n in spec["lab"]["nodes"]]
        rc, out = lab_playbook(lab, "playbooks/teardown.yml")
        assert rc == 0, out[-3000:]
        torn_down = True
    finally:
        harness.stop()
        if not torn_down:
            lab_playbook(lab, "playbooks/teardown.yml")
    state = host_state()
    assert NAMESPACE not in state["netns"]
    assert not [a for a in state["host_addresses"] if " 192.168." in a], state["host_addresses"]
    assert not [f for f in state["console_logs"] if f.startswith("itestbm-")], state["console_logs"]


def register_and_inspect(ironic, lab, names, driver):
    """site.yml's register phase: import, inspection of every node at once, checks, provide."""
    start = time.time()
    rc, out = lab_playbook(lab, "site.yml")
    assert rc == 0, out[-4000:] + ironic.log_tail()
    seconds = round(time.time() - start, 1)
    for name in names:
        node = ironic.node(name)
        assert node["provision_state"] == "available", node
        assert node["inspection_finished_at"], node
        assert (node["driver"], node["boot_interface"], node["inspect_interface"]) == (driver, "ipxe", "agent")
        assert node["power_state"] == "power off"  # the agent powered it off again
        vm = described(name)
        inventory = ironic.inventory(name)["inventory"]
        # Every NIC with the MAC the lab gave it, and the provisioning one is the one that booted.
        macs = sorted(i["mac_address"].lower() for i in inventory["interfaces"])
        assert macs == sorted(n["mac"] for n in vm["nics"]), (macs, vm["nics"])
        assert inventory["boot"]["pxe_interface"].lower() == vm["provisioning_mac"]
        assert inventory["cpu"]["count"] == vm["vcpus"]
        assert abs(inventory["memory"]["physical_mb"] - vm["memory_mb"]) <= 64, inventory["memory"]
        disks = dict((d["name"], d["size"]) for d in inventory["disks"])
        assert disks.get("/dev/vda") == vm["disks"][0]["size_gb"] * 1024 ** 3, disks
        assert inventory["boot"]["current_boot_mode"] == "bios"
        assert "labkit-ipa: starting agent" in open(vm["console_log"], errors="replace").read()
    return seconds


def deploy_and_boot(ironic, names):
    """metalsmith deploys every node at once; each boots its disk; then undeploy."""
    timings = {}
    start = time.time()
    for name in names:
        metalsmith(ironic, "deploy", "--no-wait", "--image", "http://%s:8080/images/disk.raw" % ironic.ip,
                   "--image-checksum", ironic.image_sha256, "--resource-class", "baremetal",
                   "--candidate", name, "--hostname", name)
    ironic.wait_state(names, "active", 900)
    timings["deploy"] = round(time.time() - start, 1)
    for name in names:
        console = described(name)["console_log"]
        assert wait_for_console(console, DISK_MARKER, 180), open(console, errors="replace").read()[-3000:]
    timings["booted_from_disk"] = round(time.time() - start, 1)
    start = time.time()
    for name in names:
        metalsmith(ironic, "undeploy", name)  # returns at once without --wait
    ironic.wait_state(names, "available", 600)
    timings["undeploy"] = round(time.time() - start, 1)
    return timings


def test_ipmi_node_inspected_deployed_and_booted_from_disk(tmp_path):
    with bare_metal_lab(tmp_path) as (ironic, lab, names):
        timings = {"build_register_inspect_provide": register_and_inspect(ironic, lab, names, "ipmi")}
        # A second run finds every node inspected and available: nothing is done again.
        rc, out = lab_playbook(lab, "site.yml", "--tags", "register")
        assert rc == 0, out[-3000:]
        recap = dict(re.findall(r"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)", out.split("PLAY RECAP")[-1], re.M))
        assert recap == {"localhost": "0", "test-undercloud": "0"}, out[-3000:]
        timings.update(deploy_and_boot(ironic, names))
        print("bare-metal life cycle, 1 node, IPMI (s):", json.dumps(timings, sort_keys=True))


def test_redfish_node_inspected(tmp_path):
    with bare_metal_lab(tmp_path, bmc={"type": "redfish", "address": "127.0.0.1", "port": 7353}) as \
            (ironic, lab, names):
        seconds = register_and_inspect(ironic, lab, names, "redfish")
        print("bare-metal register + inspection, 1 node, Redfish: %s s" % seconds)


@pytest.mark.slow
def test_two_nodes_inspected_and_deployed_at_once(tmp_path):
    with bare_metal_lab(tmp_path, nodes=2) as (ironic, lab, names):
        timings = {"build_register_inspect_provide": register_and_inspect(ironic, lab, names, "ipmi")}
        timings.update(deploy_and_boot(ironic, names))
        print("bare-metal life cycle, 2 nodes, IPMI (s):", json.dumps(timings, sort_keys=True))
