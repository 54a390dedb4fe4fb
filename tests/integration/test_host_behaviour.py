"""Behaviour of a built lab under change, against the real host."""
import json
import os
import subprocess

import libvirt
import pytest
import yaml

from conftest import LABS, REPO, host_state, playbook


def recap_changed(output):
    import re
    match = re.search(r"changed=(\d+)", output.split("PLAY RECAP")[-1])
    assert match, output[-2000:]
    return int(match.group(1))


def variant(tmp_path, name, mutate):
    spec = yaml.safe_load(open(LABS / "itest.yml"))
    mutate(spec["lab"])
    path = tmp_path / name
    path.write_text(yaml.safe_dump(spec))
    return "@%s" % path


def ipmitool(port, *command):
    password = (REPO / "artifacts" / "itest" / "bmc-password").read_text().strip()
    return subprocess.run(["ipmitool", "-I", "lanplus", "-H", "127.0.0.1", "-p", str(port), "-U", "admin", "-E"]
                          + list(command), env=dict(os.environ, IPMI_PASSWORD=password),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)


@pytest.fixture
def built(itest_lab):
    rc, out = playbook("site.yml", "-e", "@" + itest_lab)
    assert rc == 0, out[-3000:]
    return itest_lab


def test_portgroup_change_updates_the_running_network_in_place(built, tmp_path):
    conn = libvirt.open("qemu:///system")
    net = conn.networkLookupByName("itest-net")
    uuid = net.UUIDString()

    def mutate(lab):
        lab["network"]["portgroups"][1]["trunk"] = [100, 101, 102]
        lab["network"]["portgroups"].append({"name": "access-102", "vlan": 102})
    changed = variant(tmp_path, "pg.yml", mutate)
    rc, out = playbook("site.yml", "-e", changed, "--tags", "network")
    assert rc == 0, out[-3000:]
    assert "modify portgroup trunk-1" in out or recap_changed(out) > 0
    net = conn.networkLookupByName("itest-net")
    assert net.UUIDString() == uuid and net.isActive() and net.autostart()
    for flags in (0, libvirt.VIR_NETWORK_XML_INACTIVE):  # live and persistent definitions
        xml = net.XMLDesc(flags)
        assert "<portgroup name='access-102'>" in xml
        assert "<tag id='102'/>" in xml.split("<portgroup name='trunk-1'>")[1].split("</portgroup>")[0]
    rc, out = playbook("site.yml", "-e", changed, "--tags", "network")
    assert recap_changed(out) == 0, out[-3000:]


def test_a_boot_device_set_through_the_bmc_is_not_drift(built):
    conn = libvirt.open("qemu:///system")
    before = conn.lookupByName("itest-control-1").XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
    assert ipmitool(7101, "chassis", "bootdev", "disk").returncode == 0
    after = conn.lookupByName("itest-control-1").XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
    assert after != before, "VirtualBMC did not rewrite the domain; the test proves nothing"
    rc, out = playbook("site.yml", "-e", "@" + built)
    assert rc == 0, out[-3000:]
    assert recap_changed(out) == 0, out[-3000:]


def test_bmc_rules_scoped_to_allowed_sources_and_removed_by_teardown(built, tmp_path):
    lab = yaml.safe_load(open(LABS / "itest.yml"))["lab"]
    first = lab["bmc"]["port_start"]
    ports = "%d-%d/udp" % (first, first + len(lab["nodes"]) - 1)
    before = host_state()
    assert ports in before["firewall_ports"] and ports in before["firewall_permanent_ports"], before
    scoped = variant(tmp_path, "scoped.yml", lambda lab: lab["bmc"].update(allow_from=["127.0.0.1"]))
    rc, out = playbook("site.yml", "-e", scoped, "--tags", "firewall")
    assert rc == 0, out[-3000:]
    state = host_state()
    rule = 'rule family="ipv4" source address="127.0.0.1/32" port port="%s" protocol="udp" accept' \
        % ports.split("/")[0]
    assert rule in state["firewall_rich_rules"] and rule in state["firewall_permanent_rich_rules"], state
    # Scoped means scoped: the zone-wide ports are gone, in both layers.
    assert ports not in state["firewall_ports"] and ports not in state["firewall_permanent_ports"], state
    rc, out = playbook("playbooks/teardown.yml", "-e", scoped)
    assert rc == 0, out[-3000:]
    state = host_state()
    assert rule not in state["firewall_rich_rules"] and rule not in state["firewall_permanent_rich_rules"]
    assert ports not in state["firewall_ports"] and ports not in state["firewall_permanent_ports"]


def test_an_existing_disk_is_never_recreated_or_resized(built, tmp_path):
    path = "/var/lib/libvirt/images/itest_itest-compute-1-vda.qcow2"
    before = os.stat(path)
    bigger = variant(tmp_path, "bigger.yml", lambda lab: lab["nodes"][1].update(disk_gb=2))
    rc, out = playbook("site.yml", "-e", bigger, "--tags", "disks")
    assert rc == 0, out[-3000:]
    assert "never resized or recreated" in out
    after = os.stat(path)
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (before.st_ino, before.st_size, before.st_mtime_ns)


def test_ipmitool_module_check_mode_reads_but_never_switches(built):
    password = (REPO / "artifacts" / "itest" / "bmc-password").read_text().strip()
    args = json.dumps({"bmcs": [{"name": "itest-control-1", "address": "127.0.0.1", "port": 7101}],
                       "username": "admin", "password": password, "power": "on"})
    base = [str(REPO / ".venv/bin/ansible"), "localhost", "-i", "inventories/default", "-m",
            "labkit.tripleo.ipmitool", "-a", args]
    proc = subprocess.run(base + ["--check"], cwd=str(REPO), stdout=subprocess.PIPE, universal_newlines=True, check=False)
    assert proc.returncode == 0 and "CHANGED" in proc.stdout, proc.stdout
    assert password not in proc.stdout
    conn = libvirt.open("qemu:///system")
    assert not conn.lookupByName("itest-control-1").isActive()
    try:
        proc = subprocess.run(base, cwd=str(REPO), stdout=subprocess.PIPE, universal_newlines=True, check=False)
        assert proc.returncode == 0, proc.stdout
        assert conn.lookupByName("itest-control-1").isActive()
    finally:
        dom = conn.lookupByName("itest-control-1")
        if dom.isActive():
            dom.destroy()
