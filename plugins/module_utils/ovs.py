# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read Open vSwitch state from ``ovs-vsctl --format=json`` and plan changes.

The plan is a list of ovs-vsctl commands that the module joins with ``--`` and
applies in one OVSDB transaction, so a bridge is never left half-configured.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.labkit.tripleo.plugins.module_utils import ownership

OWNER_KEY = "labkit-lab"
INSTANCE_KEY = "labkit-instance"


def decode(value):
    """OVSDB JSON (``["set", [...]]``, ``["map", [...]]``, ``["uuid", x]``) to Python."""
    if isinstance(value, list) and len(value) == 2 and value[0] in ("set", "map", "uuid", "named-uuid"):
        kind, payload = value
        if kind == "set":
            return [decode(item) for item in payload]
        if kind == "map":
            return dict((decode(k), decode(v)) for k, v in payload)
        return payload
    return value


def table(json_text):
    """Rows of ``ovs-vsctl --format=json list <Table>`` as dicts."""
    data = json.loads(json_text)
    rows = []
    for row in data.get("data", []):
        rows.append(dict((heading, decode(cell)) for heading, cell in zip(data["headings"], row)))
    return rows


def scalar(value):
    """An optional OVSDB column: an empty set means unset."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def read_state(bridge_rows, port_rows, interface_rows):
    """Index the three tables the lab cares about by name."""
    ports_by_uuid = dict((row["_uuid"], row) for row in port_rows)
    interface_types = dict((row["name"], row.get("type") or "") for row in interface_rows)
    bridges = {}
    ports = {}
    for row in bridge_rows:
        members = [ports_by_uuid[u]["name"] for u in _as_list(row.get("ports")) if u in ports_by_uuid]
        bridges[row["name"]] = {
            "datapath_type": row.get("datapath_type") or "",
            "external_ids": row.get("external_ids") or {},
            "ports": sorted(members),
        }
        for name in members:
            port = next(p for p in port_rows if p["name"] == name)
            ports[name] = {
                "bridge": row["name"],
                "tag": scalar(port.get("tag")),
                "trunks": sorted(_as_list(port.get("trunks"))),
                "external_ids": port.get("external_ids") or {},
                "type": interface_types.get(name, ""),
            }
    return {"bridges": bridges, "ports": ports}


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


class Conflict(Exception):
    """Something of the same name exists and does not belong to the lab; ``owner_lab`` is the
    lab its mark names (None without one), so the caller can say what to do about it."""

    def __init__(self, message, owner_lab=None):
        super(Conflict, self).__init__(message)
        self.owner_lab = owner_lab


def mark_words(desired):
    """external_ids settings of the lab's mark (name and, when known, instance)."""
    words = ["external_ids:%s=%s" % (OWNER_KEY, desired["lab"])]
    if desired.get("instance"):
        words.append("external_ids:%s=%s" % (INSTANCE_KEY, desired["instance"]))
    return words


def verdict(row, desired):
    """ownership.judge of a Bridge or Port row against the lab in ``desired``."""
    ids = row["external_ids"]
    return ownership.judge(ids.get(OWNER_KEY), ids.get(INSTANCE_KEY), desired["lab"], desired.get("instance"),
                           desired.get("adopt", False))


def describe_owner(row):
    return ownership.describe(row["external_ids"].get(OWNER_KEY), row["external_ids"].get(INSTANCE_KEY))


def plan(state, desired):
    """ovs-vsctl commands (lists of words) that turn ``state`` into ``desired``.

    ``desired``: lab, instance, adopt, bridge, datapath_type, uplink, vlans, host_port, host_vlan.
    Raises Conflict when a bridge or port the lab would touch is not the lab's.
    """
    lab, bridge = desired["lab"], desired["bridge"]
    commands = []
    current = state["bridges"].get(bridge)
    if current is None:
        commands.append(["add-br", bridge])
        commands.append(["set", "Bridge", bridge, "datapath_type=%s" % desired["datapath_type"]]
                        + mark_words(desired))
    else:
        judged = verdict(current, desired)
        if judged == ownership.FOREIGN:
            raise Conflict("Open vSwitch bridge %r exists but was not created by lab %r (owner: %s)"
                           % (bridge, lab, describe_owner(current)), current["external_ids"].get(OWNER_KEY))
        settings = []
        if (current["datapath_type"] or "system") != desired["datapath_type"]:
            settings.append("datapath_type=%s" % desired["datapath_type"])
        if judged == ownership.TO_STAMP:
            settings += mark_words(desired)
        if settings:
            commands.append(["set", "Bridge", bridge] + settings)

    def port(name, settings, interface_type=None):
        existing = state["ports"].get(name)
        if existing is not None and existing["bridge"] != bridge:
            raise Conflict("port %r is already on bridge %r" % (name, existing["bridge"]))
        if existing is not None and verdict(existing, desired) == ownership.FOREIGN:
            raise Conflict("port %r on bridge %r was not added by lab %r (owner: %s)"
                           % (name, bridge, lab, describe_owner(existing)), existing["external_ids"].get(OWNER_KEY))
        if existing is None:
            commands.append(["add-port", bridge, name])
            commands.append(["set", "Port", name] + mark_words(desired) + settings_words(settings))
            if interface_type:
                commands.append(["set", "Interface", name, "type=%s" % interface_type])
            return
        words = settings_words(dict((k, v) for k, v in settings.items() if existing.get(k) != v))
        if verdict(existing, desired) == ownership.TO_STAMP:
            words += mark_words(desired)
        if words:
            commands.append(["set", "Port", name] + words)
        if interface_type and existing["type"] != interface_type:
            commands.append(["set", "Interface", name, "type=%s" % interface_type])

    if desired.get("uplink"):
        port(desired["uplink"], {"tag": None, "trunks": sorted(desired["vlans"])})
    if desired.get("host_port"):
        port(desired["host_port"], {"tag": desired["host_vlan"], "trunks": []}, "internal")
    return commands


def settings_words(settings):
    words = []
    for key in sorted(settings):
        value = settings[key]
        if value is None or value == []:
            words.append("%s=[]" % key)
        elif isinstance(value, list):
            words.append("%s=%s" % (key, ",".join(str(v) for v in value)))
        else:
            words.append("%s=%s" % (key, value))
    return words


def transaction(commands):
    """One ovs-vsctl argument list for all commands."""
    argv = []
    for command in commands:
        if argv:
            argv.append("--")
        argv.extend(command)
    return argv
