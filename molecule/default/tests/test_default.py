"""Verify the default lab as built on this host, against libvirt, OVS, vbmc, firewalld and IPMI.

Expected values come from the lab description (inventories/default) and the lab's own
summary; the host is always asked directly (virsh, ovs-vsctl, ipmitool, firewall-cmd).
"""
import json
import os
import pathlib
import time
import xml.etree.ElementTree as ET

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[3]
LAB = yaml.safe_load((REPO / "inventories/default/group_vars/all.yml").read_text())["lab"]
ARTIFACTS = REPO / "artifacts" / LAB["name"]
SUMMARY = json.loads((ARTIFACTS / "lab.json").read_text())
PASSWORD_FILE = ARTIFACTS / "bmc-password"
URI = "qemu:///system"
PORTGROUPS = {pg["name"]: pg for pg in LAB["network"]["portgroups"]}
VMS = ([dict(LAB["undercloud"], role="undercloud")] if LAB.get("undercloud") else []) + [
    dict(n, role="node") for n in LAB["nodes"]]
NODES = [vm for vm in SUMMARY["vms"] if vm["role"] == "node"]


def virsh(host, *args):
    return host.check_output("virsh -c %s %s" % (URI, " ".join(args)))


def domain_xml(host, name):
    return ET.fromstring(virsh(host, "dumpxml", "--inactive", name))


def ipmi(host, port, *command):
    return host.run("ipmitool -I lanplus -H %s -p %d -U %s -f %s %s" % (
        LAB["bmc"]["address"], port, LAB["bmc"]["username"], PASSWORD_FILE, " ".join(command)))


def wait_state(host, name, state, timeout=60):
    deadline = time.time() + timeout
    current = None
    while time.time() < deadline:
        current = virsh(host, "domstate", name).strip()
        if current == state:
            return current
        time.sleep(0.5)
    return current


def test_bridge_is_owned_and_has_a_datapath(host):
    bridge = LAB["network"]["bridge"]
    assert host.run("ovs-vsctl br-exists %s" % bridge).rc == 0
    datapath = host.check_output("ovs-vsctl get Bridge %s datapath_type" % bridge).strip('"')
    kernel = host.file("/sys/module/openvswitch").is_directory
    assert datapath == ("system" if kernel else "netdev")
    owner = host.check_output("ovs-vsctl get Bridge %s external_ids:labkit-lab" % bridge).strip('"')
    assert owner == LAB["name"]


def test_network_is_active_autostarted_with_portgroups(host):
    info = virsh(host, "net-info", LAB["network"]["name"])
    assert "Active:         yes" in info
    assert "Autostart:      yes" in info
    root = ET.fromstring(virsh(host, "net-dumpxml", LAB["network"]["name"]))
    assert root.find("bridge").get("name") == LAB["network"]["bridge"]
    assert root.find("virtualport").get("type") == "openvswitch"
    found = {}
    for pg in root.findall("portgroup"):
        vlan = pg.find("vlan")
        tags = [int(t.get("id")) for t in vlan.findall("tag")]
        found[pg.get("name")] = {"trunk": tags} if vlan.get("trunk") == "yes" else {"vlan": tags[0]}
    expected = {name: ({"trunk": pg["trunk"]} if pg.get("trunk") else {"vlan": pg["vlan"]})
                for name, pg in PORTGROUPS.items()}
    assert found == expected


@pytest.mark.parametrize("vm", VMS, ids=[vm["name"] for vm in VMS])
def test_domain_is_defined_shut_off_as_declared(host, vm):
    assert virsh(host, "domstate", vm["name"]).strip() == "shut off"
    root = domain_xml(host, vm["name"])
    assert root.get("type") == SUMMARY["domain_type"]
    assert int(root.findtext("vcpu")) == vm["vcpus"]
    memory = root.find("memory")
    assert memory.get("unit") == "KiB" and int(memory.text) == vm["memory_mb"] * 1024
    disks = [d.find("source").get("file") for d in root.findall("devices/disk[@device='disk']")]
    sizes = [vm["disk_gb"]] + vm.get("extra_disks_gb", [])
    assert len(disks) == len(sizes)
    for path, size in zip(disks, sizes):
        info = json.loads(host.check_output("qemu-img info -U --output=json %s" % path))
        assert info["format"] == "qcow2" and info["virtual-size"] == size * 1024 ** 3
    portgroups = [i.find("source").get("portgroup") for i in root.findall("devices/interface")]
    assert portgroups == vm["nics"]
    assert all(i.find("model").get("type") == "virtio" for i in root.findall("devices/interface"))
    owner = root.find("metadata/{http://labkit.dev/ns/tripleo/1}owner")
    assert owner is not None and owner.get("lab") == LAB["name"]


@pytest.mark.parametrize("vm", NODES, ids=[vm["name"] for vm in NODES])
def test_node_boots_from_network_then_disk(host, vm):
    root = domain_xml(host, vm["name"])
    first_nic = root.findall("devices/interface")[0]
    assert first_nic.find("boot").get("order") == "1"
    assert root.findall("devices/disk[@device='disk']")[0].find("boot").get("order") == "2"


def test_summary_macs_are_the_real_ones(host):
    for vm in SUMMARY["vms"]:
        macs = [i.find("mac").get("address") for i in domain_xml(host, vm["name"]).findall("devices/interface")]
        assert macs == [nic["mac"] for nic in vm["nics"]]
    all_macs = [nic["mac"] for vm in SUMMARY["vms"] for nic in vm["nics"]]
    assert len(all_macs) == len(set(all_macs))


def test_disks_are_metadata_preallocated_private_and_owned_by_qemu(host):
    qemu_user = "libvirt-qemu" if host.user("libvirt-qemu").exists else "qemu"
    for vm in SUMMARY["vms"]:
        for disk in vm["disks"]:
            f = host.file(disk["path"])
            assert f.user == qemu_user
            assert f.mode == 0o600
            # Metadata preallocation makes the file as long as the virtual disk; a plain
            # qcow2 would be a few hundred KiB.
            assert f.size >= disk["size_gb"] * 1024 ** 3
            assert host.check_output("getfattr --only-values -n user.labkit.lab %s" % disk["path"]) == LAB["name"]


def test_bmcs_listen_on_the_lab_address_with_private_config(host):
    rows = json.loads(host.check_output("/opt/labkit/vbmc/bin/vbmc list -f json"))
    by_name = {row["Domain name"]: row for row in rows}
    for node in NODES:
        row = by_name[node["name"]]
        assert row["Status"] == "running"
        assert row["Address"] == LAB["bmc"]["address"]
        assert int(row["Port"]) == node["bmc"]["port"]
        config = host.file("/root/.vbmc/%s/config" % node["name"])
        assert config.mode == 0o600
        assert host.file("/root/.vbmc/%s" % node["name"]).mode == 0o700
    ports = [node["bmc"]["port"] for node in NODES]
    assert ports == list(range(LAB["bmc"]["port_start"], LAB["bmc"]["port_start"] + len(NODES)))


def test_password_file_is_private_and_never_in_the_summary(host):
    assert oct(os.stat(PASSWORD_FILE).st_mode & 0o777) == oct(0o600)
    password = PASSWORD_FILE.read_text().strip()
    assert len(password) == 20
    assert password not in (ARTIFACTS / "lab.json").read_text()


@pytest.mark.parametrize("node", NODES, ids=[n["name"] for n in NODES])
def test_every_bmc_answers_ipmi(host, node):
    result = ipmi(host, node["bmc"]["port"], "power", "status")
    assert result.rc == 0, result.stderr
    assert result.stdout.strip() == "Chassis Power is off"


def test_wrong_password_is_refused(host):
    node = NODES[0]
    result = host.run("IPMI_PASSWORD=not-the-password ipmitool -I lanplus -H %s -p %d -U %s -E -R 1 -N 1 power status"
                      % (LAB["bmc"]["address"], node["bmc"]["port"], LAB["bmc"]["username"]))
    assert result.rc != 0


def test_ipmi_power_round_trip_changes_libvirt_and_ovs_ports(host):
    node = NODES[0]
    port = node["bmc"]["port"]
    try:
        assert ipmi(host, port, "power", "on").rc == 0
        assert wait_state(host, node["name"], "running") == "running"
        # A running domain's NICs are OVS ports carrying their portgroup's VLANs.
        for nic in node["nics"]:
            iface = host.check_output(
                "ovs-vsctl --bare --columns=name find Interface 'external_ids:attached-mac=\"%s\"'" % nic["mac"])
            assert iface, "no OVS port for %s" % nic["mac"]
            pg = PORTGROUPS[nic["portgroup"]]
            tag = host.check_output("ovs-vsctl get Port %s tag" % iface)
            trunks = host.check_output("ovs-vsctl get Port %s trunks" % iface)
            if pg.get("trunk"):
                assert trunks == "[%s]" % ", ".join(str(v) for v in pg["trunk"])
                assert tag == "[]"
            else:
                assert tag == str(pg["vlan"])
                assert trunks == "[]"
        assert ipmi(host, port, "power", "status").stdout.strip() == "Chassis Power is on"
        assert ipmi(host, port, "power", "off").rc == 0
        assert wait_state(host, node["name"], "shut off") == "shut off"
    finally:
        host.run("virsh -c %s destroy %s" % (URI, node["name"]))


def test_firewall_opens_exactly_the_bmc_ports(host):
    first = LAB["bmc"]["port_start"]
    wanted = "%d-%d/udp" % (first, first + len(NODES) - 1)
    for layer in ("", "--permanent "):
        ports = host.check_output("firewall-cmd %s--zone=public --list-ports" % layer).split()
        assert wanted in ports, ports
        assert not [p for p in ports if p != wanted and p.endswith("/udp") and
                    first <= int(p.split("-")[0].split("/")[0]) < first + 100], ports


def test_foreign_objects_survived_converge(host):
    assert virsh(host, "domstate", "foreign-vm").strip() == "shut off"
    assert "foreign-net" in virsh(host, "net-list", "--all", "--name").split()
    assert host.run("ovs-vsctl br-exists foreign-br0").rc == 0
    assert host.file("/var/lib/libvirt/images/default-leftover-vda.qcow2").exists


def test_every_node_of_the_default_lab_network_boots(host):
    """The boot check on the default lab: each node PXE-boots through its VirtualBMC."""
    report_file = ARTIFACTS / "boot-check.json"
    if report_file.exists():
        report_file.unlink()
    # A clean environment: molecule's ANSIBLE_* settings are for its own playbooks.
    run = host.run("cd %s && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=%s .venv/bin/ansible-playbook "
                   "site.yml -i inventories/default --tags boot_check" % (REPO, os.environ.get("HOME", "/root")))
    assert run.rc == 0, run.stdout[-3000:]
    report = json.loads(report_file.read_text())
    assert report["ok"] is True and report["failed"] == []
    assert [row["name"] for row in report["nodes"]] == [n["name"] for n in NODES]
    for row, node in zip(report["nodes"], NODES):
        assert row["mac"] == node["provisioning_mac"]
        assert row["dhcp_seen"] and row["boot_file_fetched"] and row["boot_script_ran"], row
    for node in NODES:
        assert virsh(host, "domstate", node["name"]).strip() == "shut off"
    assert "labkit-bootcheck-default" not in host.check_output("ip netns list")
