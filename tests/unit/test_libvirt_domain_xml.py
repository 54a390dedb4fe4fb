# -*- coding: utf-8 -*-
"""libvirt_domain_xml: domain XML, parsing it back, and drift detection."""

import copy
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import libvirt_domain_xml as dx
from ansible_collections.labkit.tripleo.plugins.module_utils import libvirt_xml as lx
from ansible_collections.labkit.tripleo.plugins.module_utils.lab_model import normalize

NETWORK = "ovs-network-1"
UUID = "6f1f4f2e-3c55-4a8e-9d35-5d0c2b6d7a10"


def vm_named(model, name):
    return next(vm for vm in model["vms"] if vm["name"] == name)


def boot_orders(xml_text):
    """{('disk'|'interface', index): order} for every per-device <boot>."""
    root = ET.fromstring(xml_text)
    found = {}
    for kind in ("disk", "interface"):
        for index, el in enumerate(root.findall("devices/" + kind)):
            boot = el.find("boot")
            if boot is not None:
                found[(kind, index)] = boot.get("order")
    return found


def vbmc_set_boot_device(xml_text, device="network"):
    """What VirtualBMC's set_boot_device does to a domain definition."""
    root = ET.fromstring(xml_text)
    os_el = root.find("os")
    for boot in os_el.findall("boot"):
        os_el.remove(boot)
    for device_el in root.findall("devices/*"):
        boot = device_el.find("boot")
        if boot is not None:
            device_el.remove(boot)
    ET.SubElement(os_el, "boot", {"dev": device})
    return ET.tostring(root, encoding="unicode")


# ----------------------------------------------------------------- domains

def test_domain_round_trip(model):
    vm = vm_named(model, "control-1")
    parsed = dx.parse_domain(dx.domain_xml("mylab", vm, "kvm", NETWORK, uuid=UUID))
    assert parsed["name"] == "control-1"
    assert parsed["uuid"] == UUID
    assert parsed["owner"] == "mylab"
    assert parsed["type"] == "kvm"
    assert parsed["vcpus"] == 8
    assert parsed["memory_mib"] == 32768
    assert parsed["disks"] == [{"device": "vda", "path": "/var/lib/libvirt/images/mylab_control-1-vda.qcow2"}]
    assert parsed["nics"] == [
        {"mac": vm["nics"][0]["mac"], "network": NETWORK, "portgroup": "access-100", "target": None,
         "offloads": True},
        {"mac": vm["nics"][1]["mac"], "network": NETWORK, "portgroup": "trunk-1", "target": None,
         "offloads": True},
    ]
    assert parsed["console_log"] == "/var/log/libvirt/qemu/control-1-console.log"
    assert parsed["bios_serial"] is True


def test_nics_drop_offloads_for_the_userspace_datapath(model):
    vm = vm_named(model, "control-1")
    root = ET.fromstring(dx.domain_xml("mylab", vm, "qemu", NETWORK, nic_offloads=False))
    for iface in root.findall("devices/interface"):
        driver = iface.find("driver")
        assert driver.get("name") == "qemu"
        assert driver.find("host").attrib == dict.fromkeys(("csum", "gso", "tso4", "tso6", "ecn", "ufo"), "off")
        assert driver.find("guest").attrib == dict.fromkeys(("csum", "tso4", "tso6", "ecn", "ufo"), "off")
    parsed = dx.parse_domain(ET.tostring(root, encoding="unicode"))
    assert [n["offloads"] for n in parsed["nics"]] == [False, False]


def test_nics_keep_offloads_by_default(model):
    root = ET.fromstring(dx.domain_xml("mylab", vm_named(model, "control-1"), "kvm", NETWORK))
    assert all(iface.find("driver") is None for iface in root.findall("devices/interface"))


def test_offload_change_is_drift_naming_the_nics(model):
    vm = vm_named(model, "control-1")
    current = dx.parse_domain(dx.domain_xml("mylab", vm, "qemu", NETWORK))
    drift = dx.domain_drift(current, dx.domain_spec(vm, "qemu", NETWORK, nic_offloads=False))
    assert drift == ["NIC offloads on -> off: %s, %s" % (vm["nics"][0]["mac"], vm["nics"][1]["mac"])]
    back = dx.parse_domain(dx.domain_xml("mylab", vm, "qemu", NETWORK, nic_offloads=False))
    assert dx.domain_drift(back, dx.domain_spec(vm, "qemu", NETWORK, nic_offloads=False)) == []
    assert dx.domain_drift(back, dx.domain_spec(vm, "qemu", NETWORK))[0].startswith("NIC offloads off -> on")


def test_serial_console_logs_to_file_truncated_per_boot(model):
    vm = vm_named(model, "compute-1")
    root = ET.fromstring(dx.domain_xml("mylab", vm, "qemu", NETWORK))
    log = root.find("devices/serial/log")
    assert log.attrib == {"file": "/var/log/libvirt/qemu/compute-1-console.log", "append": "off"}
    assert root.find("devices/serial/target").get("port") == "0"
    assert root.find("devices/console/target").attrib == {"type": "serial", "port": "0"}
    # SeaBIOS mirrors its own and iPXE's screen to that serial port.
    assert root.find("os/bios").get("useserial") == "yes"


def test_domain_without_console_log_drifts(model):
    """A domain defined before console logs existed is redefined to get one."""
    vm = vm_named(model, "compute-1")
    old = dx.domain_xml("mylab", dict(vm, console_log=None), "qemu", NETWORK)
    drift = dx.domain_drift(dx.parse_domain(old), dx.domain_spec(vm, "qemu", NETWORK))
    assert drift == ["console log: none -> /var/log/libvirt/qemu/compute-1-console.log"]


def test_domain_role_recorded_in_owner_mark(model):
    root = ET.fromstring(dx.domain_xml("mylab", model["undercloud"], "qemu", NETWORK))
    owner = root.find("metadata/" + lx.OWNER_TAG)
    assert owner.get("lab") == "mylab" and owner.get("role") == "undercloud"


def test_domain_round_trip_multiple_disks_in_order(lab):
    lab["nodes"][1]["extra_disks_gb"] = [10, 20]
    vm = vm_named(normalize(lab), "compute-1")
    parsed = dx.parse_domain(dx.domain_xml("mylab", vm, "qemu", NETWORK))
    assert [d["device"] for d in parsed["disks"]] == ["vda", "vdb", "vdc"]
    assert [d["path"] for d in parsed["disks"]] == [d["path"] for d in vm["disks"]]
    assert parsed["vcpus"] == 12 and parsed["type"] == "qemu"


def test_node_boots_from_provisioning_nic_then_disk(model):
    vm = vm_named(model, "control-1")
    assert boot_orders(dx.domain_xml("mylab", vm, "kvm", NETWORK)) == {("interface", 0): "1", ("disk", 0): "2"}


def test_node_boot_nic_follows_provisioning_not_position(lab):
    lab["nodes"][0]["nics"] = ["trunk-1", "access-101", "access-100", "access-100"]
    lab["nodes"][0]["extra_disks_gb"] = [5]
    vm = vm_named(normalize(lab), "control-1")
    # Only the first provisioning NIC PXE-boots; extra disks have no boot order.
    assert boot_orders(dx.domain_xml("mylab", vm, "kvm", NETWORK)) == {("interface", 2): "1", ("disk", 0): "2"}


def test_undercloud_boots_from_disk_only(model):
    orders = boot_orders(dx.domain_xml("mylab", model["undercloud"], "kvm", NETWORK))
    assert orders == {("disk", 0): "1"}


def test_no_os_level_boot_element(model):
    root = ET.fromstring(dx.domain_xml("mylab", vm_named(model, "control-1"), "kvm", NETWORK))
    assert root.find("os/boot") is None  # per-device boot and os/boot are mutually exclusive in libvirt


def test_kvm_gets_host_passthrough_cpu(model):
    root = ET.fromstring(dx.domain_xml("mylab", vm_named(model, "control-1"), "kvm", NETWORK))
    assert root.get("type") == "kvm"
    assert root.find("cpu").get("mode") == "host-passthrough"


def test_qemu_gets_no_cpu_element(model):
    root = ET.fromstring(dx.domain_xml("mylab", vm_named(model, "control-1"), "qemu", NETWORK))
    assert root.get("type") == "qemu"
    assert root.find("cpu") is None


def test_vnc_listens_on_localhost_only(model):
    root = ET.fromstring(dx.domain_xml("mylab", vm_named(model, "control-1"), "kvm", NETWORK))
    assert root.find("devices/graphics").get("listen") == "127.0.0.1"


# ------------------------------------------------------------------- drift

@pytest.fixture
def node(model):
    return vm_named(model, "control-1")


@pytest.fixture
def node_xml(node):
    return dx.domain_xml("mylab", node, "kvm", NETWORK, uuid=UUID)


def test_no_drift_for_unchanged_domain(node, node_xml):
    assert dx.domain_drift(dx.parse_domain(node_xml), dx.domain_spec(node, "kvm", NETWORK)) == []


def test_no_drift_for_every_vm_of_the_lab(model):
    for vm in model["vms"]:
        text = dx.domain_xml("mylab", vm, "qemu", NETWORK)
        assert dx.domain_drift(dx.parse_domain(text), dx.domain_spec(vm, "qemu", NETWORK)) == [], vm["name"]


def test_no_drift_when_libvirt_reports_memory_in_kib(node, node_xml):
    root = ET.fromstring(node_xml)
    for tag in ("memory", "currentMemory"):
        el = root.find(tag)
        el.set("unit", "KiB")
        el.text = str(32768 * 1024)
    text = ET.tostring(root, encoding="unicode")
    assert dx.domain_drift(dx.parse_domain(text), dx.domain_spec(node, "kvm", NETWORK)) == []


def test_boot_rewrite_by_virtualbmc_is_not_drift(node, node_xml):
    rewritten = vbmc_set_boot_device(node_xml, "network")
    # The rewrite really happened: no per-device boot order, one os/boot.
    assert boot_orders(rewritten) == {}
    assert [b.get("dev") for b in ET.fromstring(rewritten).findall("os/boot")] == ["network"]
    assert dx.domain_drift(dx.parse_domain(rewritten), dx.domain_spec(node, "kvm", NETWORK)) == []
    rewritten_disk = vbmc_set_boot_device(node_xml, "hd")
    assert dx.domain_drift(dx.parse_domain(rewritten_disk), dx.domain_spec(node, "kvm", NETWORK)) == []


def test_drift_reports_vcpus(node, node_xml):
    changed = dict(node, vcpus=16)
    drift = dx.domain_drift(dx.parse_domain(node_xml), dx.domain_spec(changed, "kvm", NETWORK))
    assert drift == ["vcpus: 8 -> 16"]


def test_drift_reports_memory(node, node_xml):
    changed = dict(node, memory_mb=16384)
    drift = dx.domain_drift(dx.parse_domain(node_xml), dx.domain_spec(changed, "kvm", NETWORK))
    assert drift == ["memory_mib: 32768 -> 16384"]


def test_drift_reports_domain_type(node, node_xml):
    drift = dx.domain_drift(dx.parse_domain(node_xml), dx.domain_spec(node, "qemu", NETWORK))
    assert drift == ["type: kvm -> qemu"]


def test_drift_reports_nic_portgroup_change(node, node_xml):
    changed = copy.deepcopy(node)
    changed["nics"][1]["portgroup"] = "access-101"
    drift = dx.domain_drift(dx.parse_domain(node_xml), dx.domain_spec(changed, "kvm", NETWORK))
    assert len(drift) == 1 and drift[0].startswith("nics: ")
    assert "@trunk-1" in drift[0] and "@access-101" in drift[0]


def test_drift_reports_nic_order_and_mac(node, node_xml):
    swapped = copy.deepcopy(node)
    swapped["nics"].reverse()
    drift = dx.domain_drift(dx.parse_domain(node_xml), dx.domain_spec(swapped, "kvm", NETWORK))
    assert [d.split(":")[0] for d in drift] == ["nics"]
    other_mac = copy.deepcopy(node)
    other_mac["nics"][0]["mac"] = "52:54:00:00:00:01"
    drift = dx.domain_drift(dx.parse_domain(node_xml), dx.domain_spec(other_mac, "kvm", NETWORK))
    assert [d.split(":")[0] for d in drift] == ["nics"]


def test_drift_reports_added_nic_and_disk(node, node_xml):
    changed = copy.deepcopy(node)
    changed["nics"].append({"portgroup": "access-101", "mac": "52:54:aa:bb:01:02", "provisioning": False})
    changed["disks"].append({"device": "b", "size_gb": 10, "path": "/var/lib/libvirt/images/mylab_control-1-vdb.qcow2"})
    drift = dx.domain_drift(dx.parse_domain(node_xml), dx.domain_spec(changed, "kvm", NETWORK))
    assert [d.split(":")[0] for d in drift] == ["disks", "nics"]
    assert "vdb=/var/lib/libvirt/images/mylab_control-1-vdb.qcow2" in drift[0]


def test_drift_reports_disk_path_change(node, node_xml):
    changed = copy.deepcopy(node)
    changed["disks"][0]["path"] = "/srv/images/mylab-control-1-vda.qcow2"
    drift = dx.domain_drift(dx.parse_domain(node_xml), dx.domain_spec(changed, "kvm", NETWORK))
    assert drift == ["disks: vda=/var/lib/libvirt/images/mylab_control-1-vda.qcow2 -> "
                     "vda=/srv/images/mylab-control-1-vda.qcow2"]


def test_drift_ignores_cdrom_and_live_target(node, node_xml):
    root = ET.fromstring(node_xml)
    cdrom = ET.SubElement(root.find("devices"), "disk", {"type": "file", "device": "cdrom"})
    ET.SubElement(cdrom, "target", {"dev": "sda", "bus": "sata"})
    root.find("devices/interface").append(ET.Element("target", {"dev": "vnet7"}))
    text = ET.tostring(root, encoding="unicode")
    parsed = dx.parse_domain(text)
    assert parsed["nics"][0]["target"] == "vnet7"
    assert len(parsed["disks"]) == 1
    assert dx.domain_drift(parsed, dx.domain_spec(node, "kvm", NETWORK)) == []


def test_parse_domain_lowercases_mac(node, node_xml):
    text = node_xml.replace(node["nics"][0]["mac"], node["nics"][0]["mac"].upper())
    assert node["nics"][0]["mac"].upper() in text
    assert dx.parse_domain(text)["nics"][0]["mac"] == node["nics"][0]["mac"]


# ------------------------------------------------------------- _memory_mib

@pytest.mark.parametrize("text, unit, mib", [
    ("1048576", None, 1024),          # KiB is libvirt's default unit
    ("1048576", "KiB", 1024),
    ("1048576", "k", 1024),
    ("2048", "MiB", 2048),
    ("2048", "M", 2048),
    ("2", "GiB", 2048),
    ("3", "G", 3072),
    ("1073741824", "bytes", 1024),
    ("1073741824", "b", 1024),
])
def test_memory_mib_units(text, unit, mib):
    el = ET.Element("memory", {"unit": unit} if unit else {})
    el.text = text
    assert dx._memory_mib(el) == mib


def test_memory_mib_missing_or_unknown():
    assert dx._memory_mib(None) is None
    el = ET.Element("memory", {"unit": "furlongs"})
    el.text = "4"
    assert dx._memory_mib(el) is None


# A running domain after VirtualBMC's set_boot_device: its NICs are plain bridge NICs.
BRIDGED_LIVE = """<domain type='qemu'><name>n1</name><devices>
<interface type='bridge'><mac address='52:54:AA:BB:CC:00'/><source bridge='br0'/><target dev='vnet0'/></interface>
<interface type='bridge'><mac address='52:54:aa:bb:cc:01'/><source bridge='br0'/><target dev='vnet1'/></interface>
<interface type='bridge'><mac address='52:54:00:00:00:99'/><source bridge='br0'/></interface>
</devices></domain>"""


def test_restore_portgroups_names_bridged_nics_by_their_mac():
    root = ET.fromstring(BRIDGED_LIVE)
    nics = [{"mac": i.find("mac").get("address").lower(), "network": None, "portgroup": None,
             "target": i.find("target").get("dev") if i.find("target") is not None else None}
            for i in root.findall("devices/interface")]
    wanted = [{"mac": "52:54:aa:bb:cc:00", "portgroup": "access-100"}, {"mac": "52:54:aa:bb:cc:01", "portgroup": "trunk-1"}]
    restored = dx.restore_portgroups(nics, wanted, "lab-net")
    assert [(n["portgroup"], n["network"], n["target"]) for n in restored] == [
        ("access-100", "lab-net", "vnet0"), ("trunk-1", "lab-net", "vnet1"), (None, None, None)]


def test_restore_portgroups_keeps_what_libvirt_reports():
    nics = [{"mac": "52:54:aa:bb:cc:00", "portgroup": "access-101", "network": "n", "target": None}]
    assert dx.restore_portgroups(nics, [{"mac": "52:54:aa:bb:cc:00", "portgroup": "access-100"}], "n") == nics
