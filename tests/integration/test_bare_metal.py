"""The whole bare-metal life cycle of a lab node, with a real Ironic and a real agent ramdisk.

site.yml builds the lab and imports the project's own instackenv.json through real
python-tripleoclient into Ironic 39 running in a namespace on the lab's provisioning VLAN
(tests/integration/baremetal.py). Then Ironic powers the node on through the lab's BMC, it
PXE-boots iPXE and the agent ramdisk (built from Debian packages and PyPI by
tests/ironic/ipa/build-ramdisk), is inspected, and the inspected inventory is checked against
the lab description; it is made available, deployed by metalsmith with Ironic's direct deploy
(a small whole-disk image from tests/ironic/ipa/build-disk-image), boots from its disk (seen
on its serial console log), is undeployed, and the lab is torn down.
"""
import json
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
NODE = "itestbm-node-1"
STATE = "/opt/labkit-test/bm-state"
DISK_MARKER = "labkit-disk-image: booted from disk"
METALSMITH = str(OPENSTACK.parent / "metalsmith")
TIMINGS = REPO / "artifacts" / "itestbm" / "lifecycle-timings.json"


def lab_playbook(name, *args):
    extra = ["--skip-tags", "undercloud,deploy,validate"] if name == "site.yml" else []
    return playbook(name, "-i", INVENTORY, "-e", "@%s" % LAB, *(list(args) + extra))


def lab_json():
    return json.loads((REPO / "artifacts" / "itestbm" / "lab.json").read_text())


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


@pytest.fixture(scope="module")
def ironic():
    spec = yaml.safe_load(LAB.read_text())["lab"]
    lab_playbook("playbooks/teardown.yml")
    ramdisk, image = build("build-ramdisk"), build("build-disk-image")
    # Built first: the namespace goes on the lab's bridge.
    rc, out = playbook("site.yml", "-e", "@%s" % LAB, "--tags", "network")
    assert rc == 0, out[-3000:]
    # Ironic stands where the undercloud will: its local_ip, its introspection pool.
    plan = pxe_responder.plan(normalize(spec))
    harness = BareMetalIronic("itestbm-prov", spec["network"]["bridge"], plan["vlan"], plan["address"],
                              (plan["pool_start"], plan["pool_end"]), [n["mac"] for n in plan["nodes"]],
                              [(n["bmc"]["type"], n["bmc"]["port"]) for n in plan["nodes"]], STATE)
    harness.start(ramdisk, image)
    harness.image_sha256 = (image / "disk.raw.sha256").read_text().split()[0]
    yield harness
    try:
        rc, out = lab_playbook("playbooks/teardown.yml")
        assert rc == 0, out[-3000:]
    finally:
        harness.stop()
    state = host_state()
    assert "itestbm-prov" not in state["netns"]
    assert not [a for a in state["host_addresses"] if " 192.168." in a], state["host_addresses"]


def test_node_inspected_deployed_and_booted_from_disk(ironic):
    timings = {}
    start = time.time()
    rc, out = lab_playbook("site.yml")
    assert rc == 0, out[-4000:]
    timings["build_register_inspect_provide"] = round(time.time() - start, 1)
    # The register phase imported the project's instackenv.json, inspected the node through
    # Ironic (powered on through the lab's BMC, PXE, the agent reporting back), checked the
    # inspected CPUs, memory and disk against the lab, and provided it.
    assert "baremetal', 'node', 'inspect'" in out or "inspect" in out
    node = ironic.node(NODE)
    assert node["provision_state"] == "available", node
    assert node["inspection_finished_at"], node
    assert node["driver"] == "ipmi" and node["boot_interface"] == "ipxe" and node["inspect_interface"] == "agent"
    described = [vm for vm in lab_json()["vms"] if vm["name"] == NODE][0]
    console = described["console_log"]

    inventory = ironic.inventory(NODE)["inventory"]
    macs = sorted(i["mac_address"].lower() for i in inventory["interfaces"])
    assert macs == sorted(n["mac"] for n in described["nics"]), (macs, described["nics"])
    assert inventory["boot"]["pxe_interface"].lower() == described["provisioning_mac"]
    assert inventory["cpu"]["count"] == described["vcpus"]
    assert abs(inventory["memory"]["physical_mb"] - described["memory_mb"]) <= 64, inventory["memory"]
    disks = dict((d["name"], d["size"]) for d in inventory["disks"])
    assert disks.get("/dev/vda") == described["disks"][0]["size_gb"] * 1024 ** 3, disks
    assert inventory["boot"]["current_boot_mode"] == "bios"
    assert node["power_state"] == "power off"  # the agent powered it off again
    assert "labkit-ipa: starting agent" in open(console, errors="replace").read()

    # Deploy with metalsmith: no Glance, no Neutron, the image over HTTP with its checksum.
    deploy_start = time.time()
    proc = subprocess.run(
        # -q: metalsmith's summary asks Neutron for the node's addresses; there is no Neutron here.
        [METALSMITH, "-q", "--os-cloud", "undercloud", "deploy", "--image",
         "http://%s:8080/images/disk.raw" % ironic.ip, "--image-checksum", ironic.image_sha256,
         "--resource-class", "baremetal", "--candidate", NODE, "--hostname", NODE],
        env=ironic.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:] + ironic.log_tail()
    ironic.wait_state([NODE], "active", 900)
    timings["deploy"] = round(time.time() - deploy_start, 1)
    assert wait_for_console(console, DISK_MARKER, 180), open(console, errors="replace").read()[-3000:]
    timings["booted_from_disk_after_deploy"] = round(time.time() - deploy_start, 1)

    undeploy_start = time.time()
    proc = subprocess.run([METALSMITH, "-q", "--os-cloud", "undercloud", "undeploy", NODE], env=ironic.env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ironic.wait_state([NODE], "available", 600)
    timings["undeploy"] = round(time.time() - undeploy_start, 1)
    TIMINGS.write_text(json.dumps(timings, indent=2, sort_keys=True))
    print("bare-metal life cycle timings (s):", json.dumps(timings, sort_keys=True))
