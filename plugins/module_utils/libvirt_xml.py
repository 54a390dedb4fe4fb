# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ownership mark of the lab's libvirt objects, and the XML of its networks.

Pure functions over strings so they are unit-tested without a libvirt daemon; domains are
built and read in ``libvirt_domain_xml``, with the mark written here. Ownership is recorded
as a ``<labkit:owner lab="NAME" instance="ID"/>`` element in the object's ``<metadata>``: a
network or domain without that mark was not created by the lab and is never modified or
removed by it (``ownership.judge`` reads it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import xml.etree.ElementTree as ET

OWNER_NS = "http://labkit.dev/ns/tripleo/1"
OWNER_TAG = "{%s}owner" % OWNER_NS

ET.register_namespace("labkit", OWNER_NS)


def owner_metadata(parent, lab_name, role=None, instance=None):
    """A ``<metadata>`` under ``parent`` holding the lab's ownership mark (and the VM's role)."""
    metadata = ET.SubElement(parent, "metadata")
    owner = ET.SubElement(metadata, OWNER_TAG, {"lab": lab_name})
    if instance:
        owner.set("instance", instance)
    if role:
        owner.set("role", role)
    return metadata


def mark_of(xml_text):
    """The (lab, instance) of this network/domain XML's ownership mark; (None, None) without one."""
    root = ET.fromstring(xml_text)
    owner = root.find("metadata/" + OWNER_TAG)
    if owner is None:
        return None, None
    return owner.get("lab"), owner.get("instance")


def with_mark(xml_text, lab_name, instance):
    """The same definition with its ownership mark naming ``lab_name`` and ``instance``.

    Defining this changes nothing else: the lab stamps an object it already owns (made before
    marks held an instance, or adopted) without redefining what it describes.
    """
    root = ET.fromstring(xml_text)
    metadata = root.find("metadata")
    if metadata is None:
        metadata = ET.SubElement(root, "metadata")
    owner = metadata.find(OWNER_TAG)
    if owner is None:
        owner = ET.SubElement(metadata, OWNER_TAG)
    owner.set("lab", lab_name)
    owner.set("instance", instance)
    return to_string(root)


def to_string(root):
    """An element as the XML text libvirt is given."""
    return ET.tostring(root, encoding="unicode")


# ---------------------------------------------------------------- networks

def portgroup_xml(portgroup):
    pg = ET.Element("portgroup", {"name": portgroup["name"]})
    if portgroup.get("trunk"):
        vlan = ET.SubElement(pg, "vlan", {"trunk": "yes"})
        for tag in portgroup["trunk"]:
            ET.SubElement(vlan, "tag", {"id": str(tag)})
    else:
        vlan = ET.SubElement(pg, "vlan")
        ET.SubElement(vlan, "tag", {"id": str(portgroup["vlan"])})
    return to_string(pg)


def network_xml(lab_name, name, bridge, portgroups, uuid=None, instance=None):
    root = ET.Element("network")
    ET.SubElement(root, "name").text = name
    if uuid:
        ET.SubElement(root, "uuid").text = uuid
    owner_metadata(root, lab_name, instance=instance)
    ET.SubElement(root, "forward", {"mode": "bridge"})
    ET.SubElement(root, "bridge", {"name": bridge})
    ET.SubElement(root, "virtualport", {"type": "openvswitch"})
    for portgroup in portgroups:
        root.append(ET.fromstring(portgroup_xml(portgroup)))
    return to_string(root)


def parse_network(xml_text):
    """The parts of a network the lab manages, in comparable form."""
    root = ET.fromstring(xml_text)
    bridge = root.find("bridge")
    forward = root.find("forward")
    portgroups = {}
    for pg in root.findall("portgroup"):
        vlan = pg.find("vlan")
        tags = [int(tag.get("id")) for tag in vlan.findall("tag")] if vlan is not None else []
        if vlan is not None and vlan.get("trunk") == "yes":
            portgroups[pg.get("name")] = {"name": pg.get("name"), "vlan": None, "trunk": sorted(tags)}
        else:
            portgroups[pg.get("name")] = {"name": pg.get("name"), "vlan": tags[0] if tags else None, "trunk": None}
    virtualport = root.find("virtualport")
    return {
        "name": root.findtext("name"),
        "uuid": root.findtext("uuid"),
        "owner": mark_of(xml_text)[0],
        "owner_instance": mark_of(xml_text)[1],
        "bridge": bridge.get("name") if bridge is not None else None,
        "forward": forward.get("mode") if forward is not None else None,
        "openvswitch": virtualport is not None and virtualport.get("type") == "openvswitch",
        "portgroups": portgroups,
    }


def portgroup_changes(current, desired):
    """Split portgroup differences into (add, modify, delete) lists of dicts."""
    desired_by_name = dict((pg["name"], {"name": pg["name"], "vlan": pg.get("vlan"), "trunk": pg.get("trunk")})
                           for pg in desired)
    add = [pg for name, pg in desired_by_name.items() if name not in current]
    modify = [pg for name, pg in desired_by_name.items() if name in current and current[name] != pg]
    delete = [pg for name, pg in sorted(current.items()) if name not in desired_by_name]
    return add, modify, delete
