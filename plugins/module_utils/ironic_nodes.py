# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which Ironic nodes are the lab's, and what to change so they match instackenv.json.

A node is the lab's when its ``extra`` holds ``labkit_lab`` (and, once known, the lab's
``labkit_instance``): only such nodes are refreshed or deleted. A node of a lab node's name
without the mark is adopted only when its BMC endpoint is the lab's (a node 0.1 registered);
any other is someone else's and refused.

Refreshing compares what Ironic holds (driver, BMC endpoint and user, MACs of the ports)
with instackenv.json, field by field, as tripleo-common maps one onto the other
(``pm_addr`` -> ``ipmi_address``/``redfish_address`` and so on). Ironic never shows a
password, so a password is compared with the instackenv.json last imported on the undercloud,
kept (0600) beside it.

Teardown deletes the lab's nodes only, putting those Ironic would not delete as they are in
maintenance mode first.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible_collections.labkit.tripleo.plugins.module_utils.lab_record import write_json_atomic

LAB_KEY = "labkit_lab"
INSTANCE_KEY = "labkit_instance"
# tripleo-common's names of the hardware types.
DRIVER_ALIASES = {"pxe_ipmitool": "ipmi", "ipmi": "ipmi", "redfish": "redfish"}
# What Ironic deletes without maintenance mode (allow_deleting_available_nodes is on by default).
DELETABLE_STATES = ("manageable", "enroll", "adopt failed", "available")


def _lower_macs(node):
    ports = node.get("ports") or [{"address": mac} for mac in node.get("mac") or []]
    return sorted(p["address"].lower() for p in ports if p.get("address"))


def wanted_nodes(instackenv):
    """instackenv.json's nodes as Ironic would hold them: {name: {driver, driver_info, password, macs}}."""
    wanted = {}
    for node in instackenv.get("nodes", []):
        driver = DRIVER_ALIASES.get(node.get("pm_type"), node.get("pm_type"))
        if driver == "redfish":
            info = {"redfish_address": node.get("pm_addr"), "redfish_username": node.get("pm_user"),
                    "redfish_system_id": node.get("pm_system_id")}
        else:
            info = {"%s_address" % driver: node.get("pm_addr"), "%s_username" % driver: node.get("pm_user")}
            if node.get("pm_port") is not None:
                info["%s_port" % driver] = int(node["pm_port"])
        wanted[node["name"]] = {"driver": driver, "driver_info": info, "password": node.get("pm_password"),
                                "password_key": "%s_password" % driver, "macs": _lower_macs(node)}
    return wanted


def _endpoint(driver, info):
    info = info or {}
    if driver == "redfish":
        return (info.get("redfish_address"), info.get("redfish_system_id"))
    return (info.get("%s_address" % driver), str(info.get("%s_port" % driver)))


def classify(nodes, wanted, lab, instance):
    """Split the lab's node names by who owns the Ironic node of that name.

    Returns (ours, adopt, foreign, missing): ``foreign`` is a list of texts naming why.
    """
    ours, adopt, foreign, missing = [], [], [], []
    for name in sorted(wanted):
        node = nodes.get(name)
        if node is None:
            missing.append(name)
            continue
        extra = node.get("extra") or {}
        owner, owner_instance = extra.get(LAB_KEY), extra.get(INSTANCE_KEY)
        if owner == lab and (not instance or not owner_instance or owner_instance == instance):
            ours.append(name)
        elif owner == lab:
            foreign.append("%s belongs to another instance of lab %s (%s)" % (name, lab, owner_instance))
        elif owner:
            foreign.append("%s belongs to lab %s" % (name, owner))
        elif _endpoint(node.get("driver"), node.get("driver_info")) == _endpoint(
                wanted[name]["driver"], wanted[name]["driver_info"]):
            adopt.append(name)
        else:
            foreign.append("%s is not the lab's (no labkit mark, BMC %s)" % (
                name, "/".join(str(x) for x in _endpoint(node.get("driver"), node.get("driver_info")))))
    return ours, adopt, foreign, missing


def mark_args(lab, instance):
    args = ["--extra", "%s=%s" % (LAB_KEY, lab)]
    if instance:
        args += ["--extra", "%s=%s" % (INSTANCE_KEY, instance)]
    return args


def needs_mark(node, lab, instance):
    extra = node.get("extra") or {}
    return extra.get(LAB_KEY) != lab or bool(instance and extra.get(INSTANCE_KEY) != instance)


def differences(node, ports, want, last_password):
    """What differs between the Ironic node (and its port MACs) and instackenv.json, as texts, and the fixes.

    Returns (texts, node_set_args, macs_to_add, macs_to_remove). ``last_password`` is the
    password of the instackenv.json last imported (None when unknown: then it is set again).
    """
    texts, args = [], []
    driver_changed = node.get("driver") != want["driver"]
    if driver_changed:
        texts.append("driver %s -> %s" % (node.get("driver"), want["driver"]))
        args += ["--driver", want["driver"], "--reset-interfaces"]
    info = node.get("driver_info") or {}
    for key, value in sorted(want["driver_info"].items()):
        if value is None:
            continue
        if driver_changed or str(info.get(key)) != str(value):
            if not driver_changed:
                texts.append("%s %s -> %s" % (key, info.get(key), value))
            args += ["--driver-info", "%s=%s" % (key, value)]
    if want["password"] is not None and (driver_changed or last_password != want["password"]):
        texts.append("BMC password")
        args += ["--driver-info", "%s=%s" % (want["password_key"], want["password"])]
    have = sorted(m.lower() for m in ports)
    add = [m for m in want["macs"] if m not in have]
    remove = [m for m in have if m not in want["macs"]]
    if add or remove:
        texts.append("MACs %s -> %s" % (",".join(have) or "none", ",".join(want["macs"])))
    return texts, args, add, remove


def refresh_commands(cli, nodes, names, wanted, last, lab, instance):
    """Commands bringing the lab's existing nodes in line with instackenv.json, and what they fix."""
    port_by_node = cli.ports()
    removes, sets, creates, refreshed = [], [], [], {}
    for name in names:
        node = nodes[name]
        ports = port_by_node.get(node["uuid"], {})
        texts, args, add, remove = differences(node, list(ports), wanted[name],
                                               (last.get(name) or {}).get("password"))
        if needs_mark(node, lab, instance):
            args += mark_args(lab, instance)
        if args:
            sets.append(["baremetal", "node", "set", node["uuid"]] + args)
        removes.extend(["baremetal", "port", "delete", ports[mac]] for mac in remove)
        creates.extend(["baremetal", "port", "create", "--node", node["uuid"], mac] for mac in add)
        if texts:
            refreshed[name] = texts
    # Deletions first: a MAC moved from one node to another is free before it is created again.
    return removes + sets + creates, refreshed


def teardown_commands(nodes, present):
    """The commands deleting the lab's nodes ``present`` from Ironic.

    Ironic deletes a node that is deployed, failed or busy only in maintenance mode; the
    lab's VMs go next, so there is nothing left to clean up on them.
    """
    stuck = [name for name in present if nodes[name]["provision_state"] not in DELETABLE_STATES
             or nodes[name].get("instance_uuid")]
    commands = []
    if stuck:
        commands.append(["baremetal", "node", "maintenance", "set", "--reason",
                         "labkit.tripleo teardown of the lab"] + stuck)
    if present:
        commands.append(["baremetal", "node", "delete"] + present)
    return commands


def masked(commands, wanted):
    """``commands`` with every password of ``wanted`` (wanted_nodes) shown as ********."""
    passwords = set(spec["password"] for spec in wanted.values() if spec["password"])
    return [[("%s=********" % arg.split("=", 1)[0]) if "=" in arg and arg.split("=", 1)[1] in passwords else arg
             for arg in command] for command in commands]


def read_instackenv(path):
    """The JSON document at ``path`` (instackenv.json or the copy last imported), or None without one."""
    if not path or not os.path.exists(path):
        return None
    with open(path) as stream:
        return json.load(stream)


def imported_path(instackenv):
    """Where the copy of what Ironic was last given is kept, beside instackenv.json."""
    return os.path.join(os.path.dirname(instackenv), ".imported.json")


def remember_import(instackenv, doc):
    """Keep what Ironic was given, passwords included (0600), to compare the next instackenv.json with."""
    if doc is not None:
        write_json_atomic(imported_path(instackenv), doc)
