# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build and read the libvirt XML of the lab's domains, and tell drift from a spec.

Pure functions over strings so they are unit-tested without a libvirt daemon. A domain
carries the lab's ownership mark as networks do (``libvirt_xml``, which reads it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import xml.etree.ElementTree as ET

from ansible_collections.labkit.tripleo.plugins.module_utils.libvirt_xml import mark_of, owner_metadata, to_string

# Offloads that must be off where Open vSwitch forwards in userspace (the netdev datapath):
# it passes the guest's partially checksummed packets on as they are, so the receiver drops
# every TCP segment ("cksum incorrect") while DHCP, TFTP and even iPXE's own HTTP work. The
# first casualty is the agent ramdisk's connection to Ironic: a node PXE-boots, then never
# gets inspected.
NIC_HOST_OFFLOADS = ("csum", "gso", "tso4", "tso6", "ecn", "ufo")
NIC_GUEST_OFFLOADS = ("csum", "tso4", "tso6", "ecn", "ufo")


def domain_spec(vm, domain_type, network, nic_offloads=True):
    """What the lab declares about one domain, in the form parse_domain reads."""
    return {
        "name": vm["name"],
        "type": domain_type,
        "vcpus": vm["vcpus"],
        "memory_mib": vm["memory_mb"],
        "disks": [{"device": "vd" + d["device"], "path": d["path"]} for d in vm["disks"]],
        "nics": [{"mac": n["mac"], "network": network, "portgroup": n["portgroup"]} for n in vm["nics"]],
        "nic_offloads": nic_offloads,
        "cdrom": vm.get("seed"),
        "console_log": vm.get("console_log"),
    }


def domain_xml(lab_name, vm, domain_type, network, uuid=None, nic_offloads=True, instance=None):
    """A complete domain definition.

    Overcloud nodes boot from their provisioning NIC first, then disk, so the
    undercloud can PXE-install them; the undercloud boots from disk only.

    The serial console, and through SeaBIOS's serial mode the firmware's and
    iPXE's screen output too, goes to ``vm["console_log"]``, truncated at each
    power-on: what a user reads when a node does not boot.
    """
    root = ET.Element("domain", {"type": domain_type})
    ET.SubElement(root, "name").text = vm["name"]
    if uuid:
        ET.SubElement(root, "uuid").text = uuid
    owner_metadata(root, lab_name, vm["role"], instance)
    ET.SubElement(root, "memory", {"unit": "MiB"}).text = str(vm["memory_mb"])
    ET.SubElement(root, "currentMemory", {"unit": "MiB"}).text = str(vm["memory_mb"])
    ET.SubElement(root, "vcpu", {"placement": "static"}).text = str(vm["vcpus"])
    os_el = ET.SubElement(root, "os")
    ET.SubElement(os_el, "type", {"arch": "x86_64"}).text = "hvm"
    # libvirt turns this into qemu's graphics=off, which makes SeaBIOS mirror the screen
    # (its own messages and iPXE's) to the serial port.
    ET.SubElement(os_el, "bios", {"useserial": "yes"})
    features = ET.SubElement(root, "features")
    ET.SubElement(features, "acpi")
    ET.SubElement(features, "apic")
    if domain_type == "kvm":
        # Passes vmx/svm through so the overcloud's own guests can use KVM (nested).
        ET.SubElement(root, "cpu", {"mode": "host-passthrough"})
    ET.SubElement(root, "clock", {"offset": "utc"})
    ET.SubElement(root, "on_poweroff").text = "destroy"
    ET.SubElement(root, "on_reboot").text = "restart"
    ET.SubElement(root, "on_crash").text = "destroy"
    devices = ET.SubElement(root, "devices")
    is_node = vm["role"] == "node"
    boot = 1
    if is_node:
        boot = 2
    for index, disk in enumerate(vm["disks"]):
        el = ET.SubElement(devices, "disk", {"type": "file", "device": "disk"})
        ET.SubElement(el, "driver", {"name": "qemu", "type": "qcow2"})
        ET.SubElement(el, "source", {"file": disk["path"]})
        ET.SubElement(el, "target", {"dev": "vd" + disk["device"], "bus": "virtio"})
        if index == 0:
            ET.SubElement(el, "boot", {"order": str(boot)})
    if vm.get("seed"):
        # The cloud-init NoCloud seed of a VM brought up from a cloud image.
        el = ET.SubElement(devices, "disk", {"type": "file", "device": "cdrom"})
        ET.SubElement(el, "driver", {"name": "qemu", "type": "raw"})
        ET.SubElement(el, "source", {"file": vm["seed"]})
        ET.SubElement(el, "target", {"dev": "sda", "bus": "sata"})
        ET.SubElement(el, "readonly")
    for nic in vm["nics"]:
        el = ET.SubElement(devices, "interface", {"type": "network"})
        ET.SubElement(el, "mac", {"address": nic["mac"]})
        ET.SubElement(el, "source", {"network": network, "portgroup": nic["portgroup"]})
        ET.SubElement(el, "model", {"type": "virtio"})
        if not nic_offloads:
            driver = ET.SubElement(el, "driver", {"name": "qemu"})
            ET.SubElement(driver, "host", dict((o, "off") for o in NIC_HOST_OFFLOADS))
            ET.SubElement(driver, "guest", dict((o, "off") for o in NIC_GUEST_OFFLOADS))
        if is_node and nic.get("provisioning"):
            ET.SubElement(el, "boot", {"order": "1"})
            # Only the first provisioning NIC PXE-boots.
            is_node = False
    serial = ET.SubElement(devices, "serial", {"type": "pty"})
    if vm.get("console_log"):
        ET.SubElement(serial, "log", {"file": vm["console_log"], "append": "off"})
    ET.SubElement(serial, "target", {"port": "0"})
    console = ET.SubElement(devices, "console", {"type": "pty"})
    ET.SubElement(console, "target", {"type": "serial", "port": "0"})
    ET.SubElement(devices, "graphics", {"type": "vnc", "autoport": "yes", "listen": "127.0.0.1"})
    rng = ET.SubElement(devices, "rng", {"model": "virtio"})
    ET.SubElement(rng, "backend", {"model": "random"}).text = "/dev/urandom"
    return to_string(root)


def _memory_mib(element):
    if element is None:
        return None
    value = int(element.text)
    unit = (element.get("unit") or "KiB").lower()
    factor = {"b": 1.0 / 1048576, "bytes": 1.0 / 1048576, "k": 1.0 / 1024, "kib": 1.0 / 1024,
              "m": 1, "mib": 1, "g": 1024, "gib": 1024}.get(unit)
    if factor is None:
        return None
    return int(value * factor)


def parse_domain(xml_text):
    """The parts of a domain the lab manages.

    Boot elements are deliberately not read: VirtualBMC's set_boot_device
    rewrites them, and that is the BMC doing its job, not drift.
    """
    root = ET.fromstring(xml_text)
    disks = []
    cdrom = None
    for disk in root.findall("devices/disk"):
        if disk.get("device") == "cdrom":
            source = disk.find("source")
            cdrom = source.get("file") if source is not None else None
            continue
        if disk.get("device") != "disk":
            continue
        source = disk.find("source")
        target = disk.find("target")
        disks.append({
            "device": target.get("dev") if target is not None else None,
            "path": source.get("file") if source is not None else None,
        })
    nics = []
    for iface in root.findall("devices/interface"):
        source = iface.find("source")
        mac = iface.find("mac")
        target = iface.find("target")
        host = iface.find("driver/host")
        guest = iface.find("driver/guest")
        offloads_off = (host is not None and all(host.get(o) == "off" for o in NIC_HOST_OFFLOADS)
                        and guest is not None and all(guest.get(o) == "off" for o in NIC_GUEST_OFFLOADS))
        nics.append({
            "mac": mac.get("address").lower() if mac is not None else None,
            "network": source.get("network") if source is not None else None,
            "portgroup": source.get("portgroup") if source is not None else None,
            "target": target.get("dev") if target is not None else None,
            "offloads": not offloads_off,
        })
    serial_log = root.find("devices/serial/log")
    bios = root.find("os/bios")
    return {
        "name": root.findtext("name"),
        "uuid": root.findtext("uuid"),
        "owner": mark_of(xml_text)[0],
        "owner_instance": mark_of(xml_text)[1],
        "type": root.get("type"),
        "vcpus": int(root.findtext("vcpu")),
        "memory_mib": _memory_mib(root.find("memory")),
        "disks": disks,
        "nics": nics,
        "cdrom": cdrom,
        "console_log": serial_log.get("file") if serial_log is not None else None,
        "bios_serial": bios is not None and bios.get("useserial") == "yes",
    }


def domain_drift(current, desired):
    """Human-readable differences between a parsed domain and its spec."""
    drift = []
    for key in ("type", "vcpus", "memory_mib"):
        if current.get(key) != desired[key]:
            drift.append("%s: %s -> %s" % (key, current.get(key), desired[key]))
    current_disks = [{"device": d["device"], "path": d["path"]} for d in current["disks"]]
    if current_disks != desired["disks"]:
        drift.append("disks: %s -> %s" % (_fmt_disks(current_disks), _fmt_disks(desired["disks"])))
    current_nics = [{"mac": n["mac"], "network": n["network"], "portgroup": n["portgroup"]} for n in current["nics"]]
    if current_nics != desired["nics"]:
        drift.append("nics: %s -> %s" % (_fmt_nics(current_nics), _fmt_nics(desired["nics"])))
    wrong_offloads = [n["mac"] for n in current["nics"] if n.get("offloads", True) != desired.get("nic_offloads", True)]
    if wrong_offloads:
        drift.append("NIC offloads %s -> %s: %s" % ("off" if desired.get("nic_offloads", True) else "on",
                                                    "on" if desired.get("nic_offloads", True) else "off",
                                                    ", ".join(wrong_offloads)))
    if current.get("console_log") != desired.get("console_log") or not current.get("bios_serial"):
        drift.append("console log: %s -> %s" % (current.get("console_log") or "none",
                                                desired.get("console_log") or "none"))
    if current.get("cdrom") != desired.get("cdrom"):
        drift.append("cdrom: %s -> %s" % (current.get("cdrom") or "none", desired.get("cdrom") or "none"))
    return drift


def _fmt_disks(disks):
    return ", ".join("%s=%s" % (d["device"], d["path"]) for d in disks) or "none"


def _fmt_nics(nics):
    return ", ".join("%s@%s" % (n["mac"], n["portgroup"]) for n in nics) or "none"


def restore_portgroups(nics, wanted_nics, network):
    """NICs read from a live domain, with the portgroup of each MAC the lab gave it.

    VirtualBMC's set_boot_device defines a running domain from its live XML, in which libvirt
    has resolved every network NIC to ``type='bridge'``: network and portgroup are gone from
    it (and from the definition) until the domains phase redefines it. The MAC still says
    which NIC it is, so its portgroup is taken from the lab model.
    """
    by_mac = dict((nic["mac"].lower(), nic) for nic in wanted_nics if nic.get("mac"))
    restored = []
    for nic in nics:
        wanted = by_mac.get((nic.get("mac") or "").lower())
        if nic.get("portgroup") is None and wanted is not None:
            nic = dict(nic, portgroup=wanted["portgroup"], network=nic.get("network") or network)
        restored.append(nic)
    return restored
