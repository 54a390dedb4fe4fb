"""Two labs of one name told apart by their marks: every mark holds the lab's instance id.

Each case reads the marks independently of the product: libvirt metadata, OVS external_ids,
the disks' extended attributes and VirtualBMC's mark files.
"""
import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

import libvirt

from conftest import (IMAGES, RECORDS, REPO, base_lab, changed_count, count, lab_state, run, write_lab)

NS = "{http://labkit.dev/ns/tripleo/1}owner"
VBMC_DIR = os.path.expanduser("~/.vbmc")
BRIDGE = "ifault-br0"


def marks():
    """Every ownership mark of the fault lab's objects, as (lab, instance), by object."""
    found = {}
    conn = libvirt.open("qemu:///system")
    try:
        for dom in conn.listAllDomains():
            owner = ET.fromstring(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)).find("metadata/" + NS)
            if dom.name().startswith("ifault") and owner is not None:
                found["domain " + dom.name()] = (owner.get("lab"), owner.get("instance"))
        net = conn.networkLookupByName("ifault-net")
        owner = ET.fromstring(net.XMLDesc(libvirt.VIR_NETWORK_XML_INACTIVE)).find("metadata/" + NS)
        found["network ifault-net"] = (owner.get("lab"), owner.get("instance"))
    finally:
        conn.close()
    ports = subprocess.run(["ovs-vsctl", "--if-exists", "list-ports", BRIDGE], stdout=subprocess.PIPE,
                           universal_newlines=True, check=False).stdout.split()
    for table, name in [("Bridge", BRIDGE)] + [("Port", port) for port in ports]:
        ids = subprocess.run(["ovs-vsctl", "--if-exists", "get", table, name, "external_ids"],
                             stdout=subprocess.PIPE, universal_newlines=True, check=False).stdout.strip()
        if ids:
            pairs = dict(item.split("=", 1) for item in ids.strip("{}").replace('"', "").split(", ") if item)
            found["%s %s" % (table, name)] = (pairs.get("labkit-lab"), pairs.get("labkit-instance"))
    for name in sorted(os.listdir(IMAGES)):
        if name.startswith("ifault_"):
            path = os.path.join(IMAGES, name)
            found["file " + name] = tuple(_xattr(path, key) for key in ("user.labkit.lab", "user.labkit.instance"))
    for name in sorted(os.listdir(VBMC_DIR)) if os.path.isdir(VBMC_DIR) else []:
        mark = os.path.join(VBMC_DIR, name, "labkit-lab")
        if name.startswith("ifault") and os.path.exists(mark):
            lines = open(mark).read().splitlines() + [None]
            found["bmc " + name] = (lines[0], lines[1])
    return found


def _xattr(path, key):
    try:
        return os.getxattr(path, key).decode()
    except OSError:
        return None


def strip_instances():
    """Marks as 0.1 wrote them (the lab's name only)."""
    conn = libvirt.open("qemu:///system")
    try:
        for dom in conn.listAllDomains():
            if dom.name().startswith("ifault"):
                conn.defineXML(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE).replace(
                    ' instance="%s"' % _instance(), ""))
        net = conn.networkLookupByName("ifault-net")
        conn.networkDefineXML(net.XMLDesc(libvirt.VIR_NETWORK_XML_INACTIVE).replace(
            ' instance="%s"' % _instance(), ""))
    finally:
        conn.close()
    ports = subprocess.run(["ovs-vsctl", "list-ports", BRIDGE], stdout=subprocess.PIPE,
                           universal_newlines=True, check=False).stdout.split()
    for table, name in [("Bridge", BRIDGE)] + [("Port", port) for port in ports]:
        subprocess.run(["ovs-vsctl", "--if-exists", "remove", table, name, "external_ids", "labkit-instance"],
                       check=True)
    for name in os.listdir(IMAGES):
        if name.startswith("ifault_"):
            os.removexattr(os.path.join(IMAGES, name), "user.labkit.instance")
    for name in os.listdir(VBMC_DIR):
        if name.startswith("ifault"):
            with open(os.path.join(VBMC_DIR, name, "labkit-lab"), "w") as stream:
                stream.write("ifault\n")


def _instance():
    with open(os.path.join(RECORDS, "ifault", "state.json")) as stream:
        return json.load(stream)["instance"]


def test_marks_carry_the_instance_and_0_1_marks_are_stamped_once(fault_lab):
    lab_file = write_lab(fault_lab, base_lab())
    rc, out = run("site.yml", lab_file)
    assert rc == 0, out[-4000:]
    instance = _instance()
    built = marks()
    # Three domains, the network, the bridge (no host port: the lab has no undercloud), three
    # disks, three BMCs.
    assert len(built) == 11, sorted(built)
    assert set(built.values()) == {("ifault", instance)}, built

    strip_instances()
    count("faults injected")
    assert set(marks().values()) == {("ifault", None)}
    rc, out = run("site.yml", lab_file)
    assert rc == 0 and changed_count(out) > 0, out[-4000:]
    assert marks() == built
    rc, out = run("site.yml", lab_file)
    assert rc == 0 and changed_count(out) == 0, out[-4000:]
    count("faults survived")


def test_a_lab_of_the_same_name_whose_record_was_lost_is_refused_at_the_first_mark(fault_lab):
    lab_file = write_lab(fault_lab, base_lab())
    rc, out = run("site.yml", lab_file)
    assert rc == 0, out[-4000:]
    first = _instance()
    built, host = marks(), lab_state()

    # The record and the controller's instance file lost: the next run is a first run, with a
    # new instance, and finds the first one's objects.
    record_dir = os.path.join(RECORDS, "ifault")
    kept = str(fault_lab / "kept-record")
    shutil.copytree(record_dir, kept)
    shutil.rmtree(record_dir)
    instance_file = REPO / "artifacts" / "ifault" / "instance"
    instance_file.unlink()
    try:
        rc, out = run("site.yml", lab_file)
        count("faults injected")
        second = _instance()
        assert second != first
        assert rc != 0 and "lab ifault, instance %s" % first in out and "lab_adopt=true" in out, out[-4000:]
        assert marks() == built
        assert lab_state()["domains"] == host["domains"] and lab_state()["bmcs"] == host["bmcs"]
        assert sorted(lab_state()["images"]) == sorted(host["images"])

        # Taken over explicitly: every mark now holds the new instance, and a re-run is quiet.
        rc, out = run("site.yml", lab_file, "-e", "lab_adopt=true")
        assert rc == 0, out[-4000:]
        assert set(marks().values()) == {("ifault", second)} and len(marks()) == len(built)
        assert lab_state()["domains"] == host["domains"]
        # firewalld cannot mark a rule: the BMC ports the lost record owned are someone else's now,
        # kept and named, never claimed.
        assert "exists already and is not the lab's: kept" in out, out[-4000:]
        rc, out = run("site.yml", lab_file)
        assert rc == 0 and changed_count(out) == 0, out[-4000:]
        count("faults survived")
    finally:
        # Give the lost record's firewall rules back, so the fixture's teardown removes them.
        with open(os.path.join(kept, "state.json")) as stream:
            lost_rules = json.load(stream).get("firewall") or []
        if not os.path.exists(record_dir):
            shutil.copytree(kept, record_dir)
        path = os.path.join(record_dir, "state.json")
        with open(path) as stream:
            record = json.load(stream)
        current = record.get("firewall") or []
        record["firewall"] = current + [rule for rule in lost_rules if rule not in current]
        with open(path, "w") as stream:
            json.dump(record, stream)
