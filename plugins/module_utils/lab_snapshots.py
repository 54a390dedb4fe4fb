# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whole-lab snapshots: every VM of the lab saved under one name, and put back together.

A snapshot is libvirt's internal snapshot of each domain (disks, and the memory of a running
domain, inside its qcow2 files), named as the user names the lab's snapshot. Its description
carries the lab's mark and the domain's power state before the save (running domains are
paused together while every snapshot is taken, so the saved states agree with each other),
which is what a revert restores. Pure Python: the module ``lab_snapshot`` calls libvirt.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import xml.etree.ElementTree as ET

from ansible_collections.labkit.tripleo.plugins.module_utils import ownership

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}\Z")
_MARK_RE = re.compile(r"labkit lab=(\S+) instance=(\S*) state=(running|shutoff)\Z")
ACTIONS = ("save", "revert", "list", "delete")


def check_name(name):
    """None when ``name`` is a snapshot name, else why not."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        return "%r is not a snapshot name (letters, digits, '.', '_', '-'; at most 63)" % (name,)
    return None


def snapshot_xml(name, lab, instance, running):
    root = ET.Element("domainsnapshot")
    ET.SubElement(root, "name").text = name
    ET.SubElement(root, "description").text = "labkit lab=%s instance=%s state=%s" % (
        lab, instance or "", "running" if running else "shutoff")
    return ET.tostring(root, encoding="unicode")


def read_mark(snapshot_xml_text):
    """(lab, instance, state) of a snapshot's description; (None, None, None) without the mark."""
    root = ET.fromstring(snapshot_xml_text)
    match = _MARK_RE.match((root.findtext("description") or "").strip())
    if not match:
        return None, None, None
    return match.group(1), match.group(2) or None, match.group(3)


def created_at(snapshot_xml_text):
    text = ET.fromstring(snapshot_xml_text).findtext("creationTime")
    return int(text) if text and text.isdigit() else None


def judge(found, params):
    """ownership verdict of a snapshot's mark for the lab of ``params``."""
    return ownership.judge(found[0], found[1], params["lab"], params["instance"], params["adopt"])


def save_plan(existing, names):
    """What save does, from ``existing`` {vm: (lab, instance, state) or None} of the name asked.

    ``unchanged`` when every VM has it already; otherwise every VM is snapshotted anew, and the
    VMs that have one (a save killed half-way) lose theirs first: a lab snapshot is all VMs at
    one moment, or nothing.
    """
    have = [name for name in names if existing.get(name) is not None]
    if len(have) == len(names):
        return {"unchanged": True, "replace": []}
    return {"unchanged": False, "replace": have}


def revert_flags(saved_state, running_now, libvirt_module):
    """libvirt flags reverting a domain to the power state it had when saved."""
    flags = 0
    if saved_state == "running":
        flags |= libvirt_module.VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING
    elif running_now:
        # Stopping a running domain to put back a powered-off one is what the user asked for.
        flags |= libvirt_module.VIR_DOMAIN_SNAPSHOT_REVERT_FORCE
    return flags


def listing(snapshots):
    """{name: {"vms": [...], "created": earliest, "complete": bool}} from [(vm, name, xml)] and
    the lab's VM names, for ``list``."""
    out = {}
    for vm, name, created in snapshots:
        entry = out.setdefault(name, {"vms": [], "created": created})
        entry["vms"].append(vm)
        if created is not None and (entry["created"] is None or created < entry["created"]):
            entry["created"] = created
    return out
