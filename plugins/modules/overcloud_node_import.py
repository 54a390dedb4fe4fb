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
  - Runs C(openstack overcloud node import [--introspect] [--provide] instackenv.json) on the
    undercloud when a lab node is missing from Ironic or not yet in its target state, then
    waits until every lab node is C(available) (with I(provide)) or C(manageable), and fails
    naming each node that is not, with Ironic's last error.
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
    description: Introspect the nodes while importing them.
    type: bool
    default: true
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
        lab's teardown), and no other node.
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
from ansible_collections.labkit.tripleo.plugins.module_utils.baremetal_cli import Cli, check_states


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
        present = [name for name in p["nodes"] if name in cli.nodes()]
        commands = [["baremetal", "node", "delete"] + present] if present else []
        if commands and not module.check_mode:
            cli.run(*commands[0])
        module.exit_json(changed=bool(commands), nodes=[{"name": n, "provision_state": "deleted"} for n in present],
                         commands=commands)
    target = "available" if p["provide"] else "manageable"
    names = p["nodes"]
    nodes = cli.nodes()
    problems = check_states(nodes, names, target)
    commands = []
    if not problems:
        module.exit_json(changed=False, nodes=summary(nodes, names), commands=commands)

    needs_import = [x["name"] for x in problems if x["state"] in ("missing", "enroll")]
    if needs_import:
        command = ["overcloud", "node", "import"]
        if p["introspect"]:
            command.append("--introspect")
        if p["provide"]:
            command.append("--provide")
        commands.append(command + [p["instackenv"]])
    if module.check_mode:
        if not needs_import and p["provide"]:
            commands.append(["overcloud", "node", "provide"] + [x["name"] for x in problems])
        module.exit_json(changed=True, nodes=summary(nodes, names), commands=commands)

    if needs_import:
        cli.run(*commands[-1])
        nodes, problems = cli.wait(names, target, p["timeout"])
    if p["provide"]:
        manageable = [x["name"] for x in problems if x["state"] == "manageable"]
        if manageable:
            commands.append(["overcloud", "node", "provide"] + manageable)
            cli.run(*commands[-1])
            nodes, problems = cli.wait(names, target, p["timeout"])
    if problems:
        module.fail_json(msg="%d of %d nodes did not reach %s: %s" % (
            len(problems), len(names), target,
            "; ".join("%s (%s: %s)" % (x["name"], x["state"], x["error"]) for x in problems)),
            nodes=summary(nodes, names), commands=commands, changed=True)
    module.exit_json(changed=True, nodes=summary(nodes, names), commands=commands)


if __name__ == "__main__":
    main()
