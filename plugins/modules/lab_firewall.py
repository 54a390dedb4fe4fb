#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: lab_firewall
short_description: Open exactly the lab's ports in firewalld, for the whole zone or for given sources only
version_added: "0.2.0"
description:
  - Converges firewalld to exactly the wanted scope for the lab's ports, in the runtime and the
    permanent configuration at once - zone-wide ports when I(sources) is empty, else one rich
    rule per source and port range, never both. Rules of the lab that are no longer wanted (another
    zone, a source dropped, zone-wide after a switch to I(sources), a port no longer used) are removed.
  - The lab owns exactly the rules listed under C(firewall) in its record
    (C(<dir>/<lab>/state.json), made by M(labkit.tripleo.lab_record)). A rule is recorded
    before it is added, so a run killed in between leaves a claim the next run completes; a wanted
    rule that already exists and is not recorded belongs to someone else and is kept and never removed.
  - Nothing is reloaded. Every change is made in both layers over D-Bus; a reload would drop every
    runtime-only rule of everyone else on the host.
  - Removes the firewalld service I(legacy_service) that labkit.tripleo 0.1 defined, from every zone
    and rich rule that uses it.
  - Written instead of using M(ansible.posix.firewalld), which converges one item at a time and cannot
    tell the lab's rules from identical ones of others, nor remove what a lab no longer wants; and
    instead of a firewalld service of the lab's own, which needs a full reload to become usable.
options:
  zone:
    description: The zone to open the ports in. Required with I(state=present).
    type: str
  ports:
    description: Port ranges to open, C(PORT[-PORT]/tcp|udp).
    type: list
    elements: str
    default: []
  sources:
    description: Source addresses or networks allowed; empty opens the ports to the whole zone.
    type: list
    elements: str
    default: []
  legacy_service:
    description: A firewalld service an older release defined for this lab, removed wherever it is used.
    type: str
  state:
    description: C(present) converges to the wanted rules; C(absent) removes every rule the lab owns.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - labkit.tripleo.lab_dir
  - labkit.tripleo.attributes
requirements:
  - firewalld running, and its Python bindings (C(python3-firewall)) on the virthost
author:
  - labkit.tripleo contributors (@labkit-tripleo)
"""

EXAMPLES = r"""
- name: Open the lab's IPMI ports to two sources only
  labkit.tripleo.lab_firewall:
    lab: mylab
    zone: public
    ports: [6230-6232/udp]
    sources: [192.0.2.10, 198.51.100.0/24]

- name: Remove every rule the lab owns (teardown)
  labkit.tripleo.lab_firewall:
    lab: mylab
    state: absent
"""

RETURN = r"""
rules:
  description: The rules the lab owns afterwards, as text.
  returned: always
  type: list
  elements: str
  sample: ["6230-6232/udp from 192.0.2.10 in zone public"]
added:
  description: Rules added (or completed in one layer), as C(<layer> <rule>).
  returned: always
  type: list
  elements: str
removed:
  description: Rules removed, as C(<layer> <rule>), the legacy service's included.
  returned: always
  type: list
  elements: str
foreign:
  description: Wanted rules that exist already and are not the lab's; kept and not recorded.
  returned: always
  type: list
  elements: str
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.labkit.tripleo.plugins.module_utils import lab_firewall, lab_record

try:
    from firewall.client import FirewallClient
    FIREWALL_IMPORT_ERROR = None
except ImportError:
    FirewallClient = None
    FIREWALL_IMPORT_ERROR = traceback.format_exc()


class Firewalld(object):
    """The few firewalld calls the lab needs, on both layers, over D-Bus."""

    def __init__(self):
        self.client = FirewallClient()
        self.connected = bool(self.client.connected)
        self.config = self.client.config() if self.connected else None
        self._zones = None

    def zones(self):
        """The permanent configuration's zone names, asked once per run."""
        if self._zones is None:
            self._zones = set(self.config.getZoneNames())
        return self._zones

    def snapshot(self, zone):
        if zone not in self.zones():
            return {}
        permanent = self.config.getZoneByName(zone)
        return {
            "runtime": {"ports": [tuple(p) for p in self.client.getPorts(zone)],
                        "rich_rules": list(self.client.getRichRules(zone))},
            "permanent": {"ports": [tuple(p) for p in permanent.getPorts()],
                          "rich_rules": list(permanent.getRichRules())},
        }

    def change(self, action, layer, rule):
        zone = rule["zone"]
        if layer == "runtime":
            if rule.get("source"):
                method = self.client.addRichRule if action == "add" else self.client.removeRichRule
                args = (zone, lab_firewall.rich_rule(rule))
            else:
                method = self.client.addPort if action == "add" else self.client.removePort
                args = (zone, rule["port"], rule["protocol"])
            if action == "add":
                args += (0,)
        else:
            permanent = self.config.getZoneByName(zone)
            if rule.get("source"):
                method = permanent.addRichRule if action == "add" else permanent.removeRichRule
                args = (lab_firewall.rich_rule(rule),)
            else:
                method = permanent.addPort if action == "add" else permanent.removePort
                args = (rule["port"], rule["protocol"])
        method(*args)

    def legacy_uses(self, service):
        """Where ``service`` is used: [(layer, zone, 'service'|rich rule)], and whether it is defined."""
        uses = []
        for zone in sorted(self.client.getZones()):
            if service in self.client.getServices(zone):
                uses.append(("runtime", zone, "service"))
            uses.extend(("runtime", zone, rule) for rule in self.client.getRichRules(zone)
                        if 'service name="%s"' % service in rule)
        for zone in sorted(self.zones()):
            permanent = self.config.getZoneByName(zone)
            if service in permanent.getServices():
                uses.append(("permanent", zone, "service"))
            uses.extend(("permanent", zone, rule) for rule in permanent.getRichRules()
                        if 'service name="%s"' % service in rule)
        return uses, service in self.config.getServiceNames()

    def remove_legacy(self, service, uses, defined):
        for layer, zone, use in uses:
            if layer == "runtime":
                if use == "service":
                    self.client.removeService(zone, service)
                else:
                    self.client.removeRichRule(zone, use)
            else:
                permanent = self.config.getZoneByName(zone)
                if use == "service":
                    permanent.removeService(service)
                else:
                    permanent.removeRichRule(use)
        if defined:
            self.config.getServiceByName(service).remove()


def apply_changes(firewalld, changes, owned, remember):
    """Claim, change, then record what the lab owns: a run killed anywhere leaves no unowned rule of its own."""
    if changes["claim"]:
        remember(sorted(owned + changes["claim"], key=lab_firewall.rule_key))
    for layer, rule in changes["remove"]:
        firewalld.change("remove", layer, rule)
    for layer, rule in changes["add"]:
        firewalld.change("add", layer, rule)
    remember(changes["owned"])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            lab_record.LAB_DIR_ARGS,
            zone=dict(type="str"),
            ports=dict(type="list", elements="str", default=[]),
            sources=dict(type="list", elements="str", default=[]),
            legacy_service=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_if=[("state", "present", ["zone"])],
        supports_check_mode=True,
    )
    if FirewallClient is None:
        module.fail_json(msg=missing_required_lib("firewall (python3-firewall)"), exception=FIREWALL_IMPORT_ERROR)
    params = module.params
    present = params["state"] == "present"
    try:
        wanted = lab_firewall.wanted_rules(params["zone"], params["ports"], params["sources"]) if present else []
    except ValueError as exc:
        module.fail_json(msg="ports: %s" % exc)
    try:
        record = lab_record.read_json(lab_record.record_path(params["dir"], params["lab"]))
    except ValueError as exc:
        module.fail_json(msg="the lab record is unreadable: %s" % exc)
    owned = list((record or {}).get("firewall") or [])
    if present and record is None and not module.check_mode:
        module.fail_json(msg="the lab has no record in %s: run the lab role first" % params["dir"])

    firewalld = Firewalld()
    if not firewalld.connected:
        if present or owned:
            module.fail_json(msg="firewalld is not running, so the lab's rules cannot be %s: %s" % (
                "made" if present else "removed", "; ".join(lab_firewall.describe(r) for r in owned) or "none yet"))
        module.exit_json(changed=False, rules=[], added=[], removed=[], foreign=[])

    try:
        zone_names = firewalld.zones()
        if present and params["zone"] not in zone_names:
            module.fail_json(msg="lab.bmc.firewall_zone: firewalld has no zone %r (it has: %s)"
                             % (params["zone"], ", ".join(sorted(zone_names))))
        zones = dict((zone, firewalld.snapshot(zone)) for zone in set(r["zone"] for r in wanted + owned))
        changes = lab_firewall.plan(wanted, owned, zones)
        warnings = lab_firewall.wider_than_wanted(wanted, owned, zones)
        legacy, legacy_defined = firewalld.legacy_uses(params["legacy_service"]) if params["legacy_service"] \
            else ([], False)

        removed = ["%s %s" % (layer, lab_firewall.describe(rule)) for layer, rule in changes["remove"]]
        removed += ["%s %s in zone %s" % (layer, "service " + params["legacy_service"] if use == "service" else use,
                                          zone) for layer, zone, use in legacy]
        if legacy_defined:
            removed.append("permanent service definition %s" % params["legacy_service"])
        added = ["%s %s" % (layer, lab_firewall.describe(rule)) for layer, rule in changes["add"]]
        changed = bool(added or removed)

        if not module.check_mode and record is not None:
            def remember(rules):
                lab_record.set_record_key(params["dir"], params["lab"], "firewall", rules)
            apply_changes(firewalld, changes, owned, remember)
            firewalld.remove_legacy(params["legacy_service"], legacy, legacy_defined)
        elif not module.check_mode:  # state=absent of a lab with no record: only the legacy service
            firewalld.remove_legacy(params["legacy_service"], legacy, legacy_defined)
    except Exception as exc:  # D-Bus and firewalld errors carry their own words
        module.fail_json(msg="firewalld: %s" % exc, exception=traceback.format_exc())

    for rule in changes["foreign"]:
        module.warn("%s exists already and is not the lab's: kept, and teardown will not remove it"
                    % lab_firewall.describe(rule))
    for text in warnings:
        module.warn(text)
    module.exit_json(changed=changed, rules=[lab_firewall.describe(r) for r in changes["owned"]],
                     added=added, removed=removed, foreign=[lab_firewall.describe(r) for r in changes["foreign"]])


if __name__ == "__main__":
    main()
