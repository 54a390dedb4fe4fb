# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which firewalld rules a lab wants, which of them it owns, and what to change so both match.

A rule is a dict ``{"zone", "port", "protocol", "source"}``: with ``source`` null it is a
zone-wide port, else a rich rule accepting that port from that source only. firewalld
cannot label a port or a rich rule with its owner, so the lab owns exactly the rules its
record lists, and a rule is recorded only when the lab is the one that adds it: a rule
someone else made (present before the lab wanted it) is left alone and never removed.

The plan is pure (it reads a snapshot of the zones and returns the changes) so that it is
unit-tested without firewalld; the module applies it over D-Bus without a reload, which
would drop every runtime-only rule of everyone else on the host.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

LAYERS = ("runtime", "permanent")
_PORTS_RE = re.compile(r"^([0-9]{1,5})(?:-([0-9]{1,5}))?/(tcp|udp)$")


def parse_ports(text):
    """'6230-6232/udp' -> ('6230-6232', 'udp'); ValueError for anything else."""
    match = _PORTS_RE.match(text)
    if not match:
        raise ValueError("%r is not PORT[-PORT]/tcp|udp" % text)
    first, last, protocol = match.group(1), match.group(2), match.group(3)
    if not 0 < int(first) < 65536 or (last is not None and not int(first) < int(last) < 65536):
        raise ValueError("%r is not a port range within 1-65535" % text)
    return (first if last is None else "%s-%s" % (first, last)), protocol


def wanted_rules(zone, ports, sources):
    """The rules for ``ports`` in ``zone``: zone-wide when ``sources`` is empty, else one per source."""
    rules = []
    for text in ports:
        port, protocol = parse_ports(text)
        for source in (sources or [None]):
            rules.append({"zone": zone, "port": port, "protocol": protocol, "source": source})
    return sorted(rules, key=rule_key)


def rule_key(rule):
    return (rule["zone"], rule["port"], rule["protocol"], rule.get("source") or "")


def rich_rule(rule):
    """firewalld's canonical text of a per-source rule (as ``firewall-cmd --list-rich-rules`` prints it)."""
    family = "ipv6" if ipaddress.ip_network(rule["source"], strict=False).version == 6 else "ipv4"
    return ('rule family="%s" source address="%s" port port="%s" protocol="%s" accept'
            % (family, rule["source"], rule["port"], rule["protocol"]))


def describe(rule):
    where = "from %s" % rule["source"] if rule.get("source") else "zone-wide"
    return "%s/%s %s in zone %s" % (rule["port"], rule["protocol"], where, rule["zone"])


def present_in(rule, zone_state):
    """The layers of ``zone_state`` ({layer: {"ports": [(port, proto)], "rich_rules": [...]}}) holding ``rule``."""
    layers = []
    for layer in LAYERS:
        state = zone_state.get(layer) or {}
        if rule.get("source"):
            found = rich_rule(rule) in state.get("rich_rules", [])
        else:
            found = (rule["port"], rule["protocol"]) in [tuple(p) for p in state.get("ports", [])]
        if found:
            layers.append(layer)
    return layers


def plan(wanted, owned, zones):
    """What to change so that exactly the ``wanted`` rules the lab owns exist.

    ``owned`` is the record's list; ``zones`` maps every zone named in either list to its
    snapshot. Returns a dict: ``add`` and ``remove`` (lists of (layer, rule)), ``claim``
    (rules to record before adding them), ``owned`` (the record's list afterwards) and
    ``foreign`` (wanted rules that exist already but are not the lab's: kept, not recorded).
    """
    wanted_keys = set(rule_key(r) for r in wanted)
    owned_keys = set(rule_key(r) for r in owned)
    add, remove, claim, foreign = [], [], [], []
    for rule in sorted(owned, key=rule_key):
        if rule_key(rule) not in wanted_keys:
            for layer in present_in(rule, zones.get(rule["zone"], {})):
                remove.append((layer, rule))
    for rule in wanted:
        layers = present_in(rule, zones.get(rule["zone"], {}))
        if rule_key(rule) in owned_keys:
            add.extend((layer, rule) for layer in LAYERS if layer not in layers)
        elif layers:
            foreign.append(rule)
        else:
            claim.append(rule)
            add.extend((layer, rule) for layer in LAYERS)
    still_owned = [r for r in owned if rule_key(r) in wanted_keys] + claim
    return {"add": add, "remove": remove, "claim": claim, "foreign": foreign,
            "owned": sorted(still_owned, key=rule_key)}


def wider_than_wanted(wanted, owned, zones):
    """Zone-wide ports the lab does not own that make its per-source rules pointless (a warning)."""
    owned_keys = set(rule_key(r) for r in owned)
    warnings = []
    for rule in wanted:
        zone_wide = dict(rule, source=None)
        if not rule.get("source") or rule_key(zone_wide) in owned_keys:
            continue
        layers = present_in(zone_wide, zones.get(rule["zone"], {}))
        text = "%s/%s is open to the whole zone %s (%s) by a rule the lab does not own, so allow_from does not " \
               "narrow it" % (rule["port"], rule["protocol"], rule["zone"], ", ".join(layers))
        if layers and text not in warnings:
            warnings.append(text)
    return warnings
