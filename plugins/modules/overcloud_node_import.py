#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: overcloud_node_import
short_description: Register a lab's overcloud nodes in the undercloud's Ironic and wait for them
version_added: "0.1.0"
description:
  - Runs C(openstack overcloud node import instackenv.json) on the undercloud when a lab node is
    missing from Ironic, then with I(introspect) inspects every node not inspected yet, all at once,
    and checks what inspection found (CPUs, memory, root disk) against I(expected); then with
    I(provide) makes the nodes C(available). It waits for each step and fails naming each node
    that does not get there, with Ironic's last error.
  - Introspection goes through Ironic's own API (C(baremetal node manage), C(baremetal node
    inspect)), the calls tripleo-ansible's introspection module makes under C(overcloud node
    import --introspect). They work with ironic-inspector behind Ironic (an undercloud up to Zed)
    and with Ironic's built-in agent inspection alike, where C(--introspect) also needs
    tripleo-ansible's playbook on the machine and ironic-inspector's own API for the data.
  - Re-running changes nothing once every node is in its target state; TripleO's import itself
    matches existing nodes by MAC or BMC address and never duplicates them.
  - C(overcloud node provide) exits 0 even when Ironic refuses a node, so the module checks the
    provision state of every node itself rather than trusting exit codes.
  - Written for this collection because there is no maintained module for tripleoclient's node
    commands (tripleo-operator-ansible, retired with TripleO, pasted values into shell strings).
options:
  openstack:
    description: The openstack command on the undercloud.
    type: path
    default: openstack
  rc_file:
    description: Shell file that sets the C(OS_*) environment (the undercloud's C(stackrc)).
    type: path
  instackenv:
    description: Path of instackenv.json on the undercloud. Required with I(state=present).
    type: path
  nodes:
    description: Names of the lab's overcloud nodes.
    type: list
    elements: str
    required: true
  introspect:
    description: Inspect the nodes (once; a node Ironic has inspected already is not inspected again).
    type: bool
    default: true
  expected:
    description:
      - What each node should have, from the lab description, checked after inspection. Dicts with
        C(name), C(vcpus), C(memory_mb) and C(disk_gb) (the root disk). Nodes not listed are not
        checked.
    type: list
    elements: dict
    default: []
  provide:
    description: Make the nodes C(available); otherwise they end C(manageable).
    type: bool
    default: true
  timeout:
    description: Seconds to wait for the nodes to reach their target state.
    type: int
    default: 1800
  state:
    description:
      - C(present) registers the nodes; C(absent) deletes the listed nodes from Ironic (the
        lab's teardown), and no other node. A node Ironic would not delete as it is (deployed,
        failed, busy, or holding an instance) is put in maintenance mode first.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - labkit.tripleo.attributes
author:
  - labkit.tripleo contributors
"""

EXAMPLES = r"""
- name: Register, introspect and provide the overcloud nodes
  labkit.tripleo.overcloud_node_import:
    rc_file: /home/stack/stackrc
    instackenv: /home/stack/instackenv.json
    nodes: [control-1, compute-1]
"""

RETURN = r"""
nodes:
  description: Each lab node as Ironic has it after the run.
  returned: always
  type: list
  elements: dict
  sample:
    - {name: control-1, uuid: 6c1c..., provision_state: available, power_state: power off}
commands:
  description: The openstack commands run (or that would be, in check mode).
  returned: always
  type: list
  elements: list
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.labkit.tripleo.plugins.module_utils.baremetal_cli import (
    Cli, check_states, inspection_mismatches)


# What Ironic deletes without maintenance mode (allow_deleting_available_nodes is on by default).
DELETABLE_STATES = ("manageable", "enroll", "adopt failed", "available")


def summary(nodes, names):
    return [dict(name=name, **{k: v for k, v in nodes.get(name, {}).items() if k != "last_error"})
            for name in names]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            openstack=dict(type="path", default="openstack"),
            rc_file=dict(type="path"),
            instackenv=dict(type="path"),
            nodes=dict(type="list", elements="str", required=True),
            introspect=dict(type="bool", default=True),
            expected=dict(type="list", elements="dict", default=[]),
            provide=dict(type="bool", default=True),
            timeout=dict(type="int", default=1800),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_if=[("state", "present", ("instackenv",))],
        supports_check_mode=True,
    )
    p = module.params
    cli = Cli(module, p["openstack"], p["rc_file"])
    if p["state"] == "absent":
        nodes = cli.nodes()
        present = [name for name in p["nodes"] if name in nodes]
        # Ironic deletes a node that is deployed, failed or busy only in maintenance mode; the
        # lab's VMs go next, so there is nothing left to clean up on them.
        stuck = [name for name in present if nodes[name]["provision_state"] not in DELETABLE_STATES
                 or nodes[name].get("instance_uuid")]
        commands = []
        if stuck:
            commands.append(["baremetal", "node", "maintenance", "set", "--reason",
                             "labkit.tripleo teardown of the lab"] + stuck)
        if present:
            commands.append(["baremetal", "node", "delete"] + present)
        if not module.check_mode:
            for command in commands:
                cli.run(*command)
        module.exit_json(changed=bool(commands), nodes=[{"name": n, "provision_state": "deleted"} for n in present],
                         commands=commands)
    target = "available" if p["provide"] else "manageable"
    names = p["nodes"]
    nodes = cli.nodes()
    problems = check_states(nodes, names, target)
    uninspected = [n for n in names if p["introspect"] and not (nodes.get(n) or {}).get("inspected")]
    commands = []
    if not problems and not uninspected:
        module.exit_json(changed=False, nodes=summary(nodes, names), commands=commands)

    needs_import = [x["name"] for x in problems if x["state"] in ("missing", "enroll")]
    if needs_import:
        commands.append(["overcloud", "node", "import", p["instackenv"]])
    if uninspected:
        available = [n for n in uninspected if (nodes.get(n) or {}).get("provision_state") == "available"]
        if available:
            commands.append(["baremetal", "node", "manage"] + available)
        commands.append(["baremetal", "node", "inspect"] + uninspected)
    if module.check_mode:
        if p["provide"]:
            commands.append(["overcloud", "node", "provide"] + sorted(set(x["name"] for x in problems)
                                                                      | set(uninspected)))
        module.exit_json(changed=True, nodes=summary(nodes, names), commands=commands)

    for command in commands:
        cli.run(*command)
        if command[:3] == ["overcloud", "node", "import"]:
            nodes, problems = cli.wait(names, "manageable", p["timeout"])
            fail_on(module, problems, names, "manageable", nodes, commands)
        elif command[:3] == ["baremetal", "node", "manage"]:
            cli.wait(command[3:], "manageable", p["timeout"])
        elif command[:3] == ["baremetal", "node", "inspect"]:
            nodes, problems = cli.wait(names, "manageable", p["timeout"])
            fail_on(module, problems, names, "manageable after inspection", nodes, commands)
    if p["introspect"]:
        mismatches = inspection_mismatches(nodes, [e for e in p["expected"] if e.get("name") in names])
        if mismatches:
            module.fail_json(msg="inspection found nodes unlike the lab description: %s" % "; ".join(mismatches),
                             nodes=summary(nodes, names), commands=commands, changed=True)
    if p["provide"]:
        manageable = [n for n in names if (nodes.get(n) or {}).get("provision_state") == "manageable"]
        if manageable:
            commands.append(["overcloud", "node", "provide"] + manageable)
            cli.run(*commands[-1])
            nodes, problems = cli.wait(names, target, p["timeout"])
            fail_on(module, problems, names, target, nodes, commands)
    module.exit_json(changed=True, nodes=summary(nodes, names), commands=commands)


def fail_on(module, problems, names, target, nodes, commands):
    if problems:
        module.fail_json(msg="%d of %d nodes did not reach %s: %s" % (
            len(problems), len(names), target,
            "; ".join("%s (%s: %s)" % (x["name"], x["state"], x["error"]) for x in problems)),
            nodes=summary(nodes, names), commands=commands, changed=True)


if __name__ == "__main__":
    main()
