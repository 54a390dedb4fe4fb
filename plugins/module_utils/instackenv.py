# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""instackenv.json for a lab: built from the lab's real state, checked before TripleO sees it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.labkit.tripleo.plugins.module_utils.redfish import base_url as redfish_url
from ansible_collections.labkit.tripleo.plugins.module_utils.tripleo_release import release as release_info


class InstackenvError(ValueError):
    def __init__(self, errors):
        self.errors = list(errors)
        super(InstackenvError, self).__init__("instackenv.json would be refused:\n"
                                              + "\n".join("  - " + e for e in self.errors))


def build(nodes, release, bmc, arch="x86_64"):
    """One instackenv entry per overcloud node.

    ``nodes``: dicts with name, vcpus, memory_mb, root disk size (``disk_gb``), profile,
    ``provisioning_mac`` (read from libvirt) and ``bmc`` (address, port).
    ``bmc``: type, username, password.
    """
    info = release_info(release)
    entries = []
    for node in nodes:
        entry = {
            "name": node["name"],
            "pm_user": bmc["username"],
            "pm_password": bmc["password"],
            "cpu": node["vcpus"],
            "memory": node["memory_mb"],
            "disk": node["disk_gb"],
            "arch": arch,
            # The lab's domains boot SeaBIOS; Ironic assumes UEFI from Yoga on unless told.
            "capabilities": "profile:%s,boot_option:local,boot_mode:bios" % node["profile"],
        }
        if bmc["type"] == "redfish":
            entry["pm_type"] = "redfish"
            # sushy-tools serves plain HTTP, and Ironic reads an address without a scheme as https.
            entry["pm_addr"] = redfish_url(node["bmc"]["address"], node["bmc"]["port"])
            entry["pm_system_id"] = "/redfish/v1/Systems/%s" % node["name"]
        else:
            entry["pm_type"] = info["pm_type_ipmi"]
            entry["pm_addr"] = node["bmc"]["address"]
            entry["pm_port"] = node["bmc"]["port"]
        if info["instackenv_ports"]:
            entry["ports"] = [{"address": node["provisioning_mac"]}]
        else:
            entry["mac"] = [node["provisioning_mac"]]
        entries.append(entry)
    document = {"nodes": entries}
    check(document)
    return document


def _endpoint_text(address, port, system_id):
    text = str(address)
    if port is not None:
        text += ":%s" % port
    return text + (system_id or "")


def _macs(entry):
    if "ports" in entry:
        return [port.get("address") for port in entry["ports"]]
    return list(entry.get("mac") or [])


def check(document):
    """What TripleO would refuse, refused here first with each node named."""
    errors = []
    names, macs, endpoints = {}, {}, {}
    for index, entry in enumerate(document.get("nodes", [])):
        label = "nodes[%d] (%s)" % (index, entry.get("name"))
        if entry.get("name") in names:
            errors.append("%s: duplicate name, also %s" % (label, names[entry["name"]]))
        names.setdefault(entry.get("name"), label)
        entry_macs = _macs(entry)
        if not entry_macs or not all(entry_macs):
            errors.append("%s: no MAC address for the provisioning NIC" % label)
        for mac in entry_macs:
            key = (mac or "").lower()
            if key in macs:
                errors.append("%s: MAC %s is also used by %s" % (label, mac, macs[key]))
            macs.setdefault(key, label)
        endpoint = (entry.get("pm_addr"), entry.get("pm_port"), entry.get("pm_system_id"))
        if endpoint in endpoints:
            errors.append("%s: BMC %s is also used by %s" % (label, _endpoint_text(*endpoint), endpoints[endpoint]))
        endpoints.setdefault(endpoint, label)
        for key in ("pm_type", "pm_addr", "pm_user", "pm_password"):
            if not entry.get(key):
                errors.append("%s: %s is missing" % (label, key))
    if errors:
        raise InstackenvError(errors)
