"""The boot check on a real lab: nodes PXE-boot iPXE in TCG guests over the lab's OVS bridge
(userspace datapath), powered on through their real BMCs (VirtualBMC, then sushy-tools).
A node moved off the provisioning VLAN fails named with its console; a foreign DHCP server,
a running node and check mode are refused or change nothing. The tests run in file order on
one lab (each boot is ~20 s of TCG)."""
import json
import re
import subprocess

import libvirt
import pytest
import yaml

from conftest import LABS, REPO, host_state, playbook

LAB = LABS / "itestbc.yml"
NODES = ["itestbc-node-1", "itestbc-node-2"]
REPORT = REPO / "artifacts" / "itestbc" / "boot-check.json"
FOREIGN_NS = "itestbc-foreign-dhcp"


def states():
    conn = libvirt.open("qemu:///system")
    try:
        return dict((name, bool(conn.lookupByName(name).isActive())) for name in NODES)
    finally:
        conn.close()


def no_trace_of_the_check(state):
    assert "labkit-bootcheck-itestbc" not in state["netns"], state["netns"]
    assert not [p for p in json.loads(state["ovs_ports"] or '{"data": []}')["data"]
                if str(p[0]).startswith("lkbc")], state["ovs_ports"]
    assert not [a for a in state["host_addresses"] if " 192.168." in a], state["host_addresses"]


@pytest.fixture(scope="module")
def lab():
    playbook("playbooks/teardown.yml", "-e", "@%s" % LAB)
    before = host_state()
    yield
    rc, out = playbook("playbooks/teardown.yml", "-e", "@%s" % LAB)
    assert rc == 0, out[-3000:]
    after = host_state()
    # Teardown removes the console logs the lab's domains wrote, and nothing of the check remains.
    assert not [f for f in after["console_logs"] if f.startswith("itestbc-")], after["console_logs"]
    assert after["netns"] == before["netns"] and after["host_addresses"] == before["host_addresses"]


def test_every_node_network_boots_through_ipmi(lab):
    before = host_state()
    rc, out = playbook("site.yml", "-e", "@%s" % LAB)
    assert rc == 0, out[-4000:]
    report = json.loads(REPORT.read_text())
    assert report["ok"] is True and report["failed"] == [], report
    for row in report["nodes"]:
        assert row["dhcp_seen"] and row["boot_file_fetched"] and row["boot_script_ran"], row
        assert 0 < row["dhcp_seconds"] <= row["boot_file_seconds"] <= row["seconds"] < 150, row
        assert re.match(r"192\.168\.255\.(5[1-9]|[6-9]\d|100)$", row["address"]), row
        # The firmware's own screen, through SeaBIOS's serial mode, says what it ran.
        console = open(row["console_log"], errors="replace").read()
        assert "network boot of %s proven" % row["mac"] in console, console[-2000:]
    assert "network boot OK" in out
    assert states() == {name: False for name in NODES}  # powered off again through the BMC
    after = host_state()
    no_trace_of_the_check(after)
    assert after["host_addresses"] == before["host_addresses"]
    # The check gave back the claim it made in the lab's record: teardown need not look for leftovers.
    with open("/var/lib/labkit/itestbc/state.json") as stream:
        assert json.load(stream)["boot_check"] is None


def test_a_node_moved_to_another_vlan_fails_named_with_its_console(lab):
    conn = libvirt.open("qemu:///system")
    try:
        dom = conn.lookupByName("itestbc-node-2")
        xml = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
        conn.defineXML(xml.replace("portgroup='access-100'", "portgroup='access-101'"))
    finally:
        conn.close()
    rc, out = playbook("site.yml", "--tags", "boot_check", "-e", "@%s" % LAB)
    assert rc != 0, out[-3000:]
    assert "itestbc-node-2 (" in out and "did not network-boot: no DHCP request" in out, out[-3000:]
    assert "No configuration methods" in out  # iPXE's own words, from the console log
    assert "itestbc-node-1 (" not in out.split("did not network-boot")[0].split("FAILED")[-1]
    report = json.loads(REPORT.read_text())
    assert report["failed"] == ["itestbc-node-2"], report
    assert report["nodes"][0]["ok"] is True
    failed = report["nodes"][1]
    assert not failed["dhcp_seen"] and failed["console_tail"], failed
    assert "the firmware gave up" in failed["error"]  # SeaBIOS halted: no need to wait the timeout
    assert states() == {name: False for name in NODES}
    no_trace_of_the_check(host_state())
    # The build puts the NIC back on its portgroup.
    rc, out = playbook("site.yml", "--tags", "domains", "-e", "@%s" % LAB)
    assert rc == 0 and "itestbc-node-2 redefined: nics" in out, out[-3000:]


@pytest.fixture
def foreign_dhcp_server():
    """A DHCP server that answers anyone on VLAN 100 of the lab bridge, in its own namespace."""
    port = "itbcfgn0"
    subprocess.run(["ip", "netns", "add", FOREIGN_NS], check=True)
    subprocess.run(["ovs-vsctl", "add-port", "itestbc-br0", port, "tag=100", "--", "set", "Interface", port,
                    "type=internal"], check=True)
    subprocess.run(["ip", "link", "set", "dev", port, "netns", FOREIGN_NS], check=True)
    subprocess.run(["ip", "-n", FOREIGN_NS, "addr", "add", "192.168.255.250/24", "dev", port], check=True)
    subprocess.run(["ip", "-n", FOREIGN_NS, "link", "set", "dev", port, "up"], check=True)
    server = subprocess.Popen(["ip", "netns", "exec", FOREIGN_NS, "dnsmasq", "--keep-in-foreground",
                               "--conf-file=/dev/null", "--port=0", "--bind-interfaces", "--interface=" + port,
                               "--user=root", "--group=root", "--leasefile-ro",
                               "--dhcp-range=192.168.255.200,192.168.255.210,255.255.255.0,2m"])
    yield
    server.terminate()
    server.wait()
    subprocess.run(["ovs-vsctl", "--if-exists", "del-port", port], check=True)
    subprocess.run(["ip", "netns", "delete", FOREIGN_NS], check=True)


def test_refused_when_another_dhcp_server_answers(lab, foreign_dhcp_server):
    rc, out = playbook("site.yml", "--tags", "boot_check", "-e", "@%s" % LAB)
    assert rc != 0
    assert re.search(r"another DHCP server answers on VLAN 100 of bridge itestbc-br0 \(192\.168\.255\.250 offered "
                     r"192\.168\.255\.(20\d|210)\)", out), out[-3000:]
    assert "nothing was powered on" in out
    assert states() == {name: False for name in NODES}
    state = host_state()
    assert "labkit-bootcheck-itestbc" not in state["netns"]


def test_refused_when_a_node_is_running(lab):
    conn = libvirt.open("qemu:///system")
    try:
        conn.lookupByName("itestbc-node-1").create()
        rc, out = playbook("site.yml", "--tags", "boot_check", "-e", "@%s" % LAB)
        assert rc != 0
        assert "powered on already: itestbc-node-1" in out and "nothing was changed" in out, out[-3000:]
        assert states() == {"itestbc-node-1": True, "itestbc-node-2": False}
        no_trace_of_the_check(host_state())
    finally:
        conn.lookupByName("itestbc-node-1").destroy()
        conn.close()


def test_check_mode_boots_nothing(lab):
    before = host_state()
    REPORT.unlink()
    rc, out = playbook("site.yml", "--check", "--tags", "boot_check", "-e", "@%s" % LAB)
    assert rc == 0, out[-3000:]
    assert not REPORT.exists()
    assert host_state() == before


def test_every_node_network_boots_through_redfish(lab, tmp_path):
    spec = yaml.safe_load(LAB.read_text())
    spec["lab"]["bmc"] = {"type": "redfish", "address": "127.0.0.1", "port": 7343}
    variant = tmp_path / "redfish.yml"
    variant.write_text(yaml.safe_dump(spec))
    rc, out = playbook("site.yml", "-e", "@%s" % variant)
    assert rc == 0, out[-4000:]
    report = json.loads(REPORT.read_text())
    assert report["ok"] is True and [r["name"] for r in report["nodes"]] == NODES, report
    assert states() == {name: False for name in NODES}
    no_trace_of_the_check(host_state())
