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
  - Ownership. Every node the module imports gets C(extra/labkit_lab) and C(extra/labkit_instance).
    Only nodes with the lab's mark are refreshed or deleted. A node named like a lab node without
    the mark is adopted when its BMC endpoint is the lab's (registered by an older release), and
    refused otherwise, as is a node of another lab or another instance of this one - before any change.
  - Refresh. When a node's driver, BMC endpoint, BMC user, BMC password or MACs differ from
    instackenv.json, Ironic is updated (C(baremetal node set), C(baremetal port create/delete)) and
    read back; a node is never counted done while Ironic holds other values. Ironic never shows a
    password, so it is compared with the instackenv.json last imported, kept (0600) beside it as
    C(.imported.json).
  - C(overcloud node provide) exits 0 even when Ironic refuses a node, so the module checks the
    provision state of every node itself rather than trusting exit codes.
  - Written for this collection because there is no maintained module for tripleoclient's node
    commands (tripleo-operator-ansible, retired with TripleO, pasted values into shell strings).
options:
  lab:
    description: The lab's name, written into and read from each node's C(extra/labkit_lab).
    type: str
    required: true
  instance:
    description: The lab's instance id (from its record), in C(extra/labkit_instance); empty to match any instance.
    type: str
    default: ""
  log:
    description:
      - File that each run which changes Ironic starts afresh (mode 0600) with every command it ran,
        the command's output and, on failure, which nodes did not reach which state; the BMC
        passwords masked. What C(playbooks/collect.yml) gathers from the undercloud as the import log.
      - Unset, nothing is written.
    type: path
  instackenv:
    description:
      - Path of instackenv.json on the undercloud. Required with I(state=present); with
        I(state=absent) it lets unmarked nodes of an older release be recognised by their BMC.
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
      - C(present) registers the nodes; C(absent) deletes the listed nodes that are the lab's from
        Ironic (the lab's teardown), and no other node. A node Ironic would not delete as it is (deployed,
        failed, busy, or holding an instance) is put in maintenance mode first.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - labkit.tripleo.attributes
  - labkit.tripleo.openstack_cli
author:
  - labkit.tripleo contributors (@labkit-tripleo)
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
  description: The openstack commands run (or that would be, in check mode); passwords masked.
  returned: always
  type: list
  elements: list
refreshed:
  description: What was brought in line with instackenv.json, by node.
  returned: always
  type: dict
  sample: {compute-1: ["ipmi_port 7002 -> 7005", "MACs 52:54:00:aa:bb:01 -> 52:54:00:aa:bb:02"]}
left:
  description: Nodes named like lab nodes that are not the lab's, left alone by I(state=absent).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.labkit.tripleo.plugins.module_utils import ironic_nodes
from ansible_collections.labkit.tripleo.plugins.module_utils.baremetal_cli import (
    CLI_ARGS, Cli, check_states, inspection_mismatches)
from ansible_collections.labkit.tripleo.plugins.module_utils.ironic_nodes import (
    imported_path, masked, read_instackenv, refresh_commands, remember_import)


def summary(nodes, names):
    return [dict(name=name, **{k: v for k, v in nodes.get(name, {}).items() if k != "last_error"})
            for name in names]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            CLI_ARGS,
            lab=dict(type="str", required=True),
            instance=dict(type="str", default=""),
            instackenv=dict(type="path"),
            nodes=dict(type="list", elements="str", required=True),
            introspect=dict(type="bool", default=True),
            expected=dict(type="list", elements="dict", default=[]),
            provide=dict(type="bool", default=True),
            timeout=dict(type="int", default=1800),
            log=dict(type="path"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_if=[("state", "present", ("instackenv",))],
        supports_check_mode=True,
    )
    p = module.params
    cli = Cli(module, p["openstack"], p["rc_file"], log_path=p["log"])
    try:
        doc = read_instackenv(p["instackenv"])
        last_doc = read_instackenv(imported_path(p["instackenv"])) if p["instackenv"] else None
    except ValueError as exc:
        module.fail_json(msg="instackenv.json is not JSON: %s" % exc)
    wanted = dict((name, spec) for name, spec in ironic_nodes.wanted_nodes(doc or {}).items() if name in p["nodes"])
    last = ironic_nodes.wanted_nodes(last_doc or {})
    for spec in list(wanted.values()) + list(last.values()):
        if spec["password"]:
            module.no_log_values.add(spec["password"])
    if p["state"] == "absent":
        nodes = cli.nodes()
        named = [name for name in p["nodes"] if name in nodes]
        known = dict((name, wanted.get(name) or {"driver": None, "driver_info": {}}) for name in named)
        ours, adopt, foreign, _missing = ironic_nodes.classify(nodes, known, p["lab"], p["instance"])
        present = [name for name in named if name in ours or name in adopt]
        for text in foreign:
            module.warn("left in Ironic: %s" % text)
        commands = ironic_nodes.teardown_commands(nodes, present)
        if not module.check_mode:
            for command in commands:
                cli.run(*command)
        module.exit_json(changed=bool(commands), nodes=[{"name": n, "provision_state": "deleted"} for n in present],
                         commands=commands, refreshed={}, left=sorted(set(named) - set(present)))
    target = "available" if p["provide"] else "manageable"
    names = p["nodes"]
    nodes = cli.nodes()
    commands, refreshed = [], {}
    if doc is not None:
        unknown = sorted(set(names) - set(wanted))
        if unknown:
            module.fail_json(msg="instackenv.json has no node %s" % ", ".join(unknown))
        ours, adopt, foreign, missing = ironic_nodes.classify(nodes, wanted, p["lab"], p["instance"])
        if foreign:
            module.fail_json(msg="Ironic holds nodes named like the lab's that are not the lab's: %s; nothing was "
                                 "changed. Delete or rename them, or rename the lab's nodes" % "; ".join(foreign))
        commands, refreshed = refresh_commands(cli, nodes, ours + adopt, wanted, last, p["lab"], p["instance"])
        if commands and not module.check_mode:
            for command in commands:
                cli.run(*command, log=True)
            nodes = cli.nodes()
            _again, still = refresh_commands(cli, nodes, ours + adopt, wanted,
                                             dict((n, {"password": wanted[n]["password"]}) for n in wanted),
                                             p["lab"], p["instance"])
            if still:
                module.fail_json(msg="Ironic still differs from instackenv.json after the refresh: %s" % "; ".join(
                    "%s: %s" % (name, ", ".join(texts)) for name, texts in sorted(still.items())),
                    commands=masked(commands, wanted), refreshed=refreshed, changed=True)
    problems = check_states(nodes, names, target)
    uninspected = [n for n in names if p["introspect"] and not (nodes.get(n) or {}).get("inspected")]
    if not problems and not uninspected:
        if commands and not module.check_mode:
            remember_import(p["instackenv"], doc)
        module.exit_json(changed=bool(commands), nodes=summary(nodes, names), commands=masked(commands, wanted),
                         refreshed=refreshed, left=[])

    done = len(commands)
    marked = []
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
        module.exit_json(changed=True, nodes=summary(nodes, names), commands=masked(commands, wanted),
                         refreshed=refreshed, left=[])

    for command in commands[done:]:
        cli.run(*command, log=True)
        if command[:3] == ["overcloud", "node", "import"]:
            nodes, problems = cli.wait(names, "manageable", p["timeout"])
            fail_on(module, cli, problems, names, "manageable", nodes, commands)
            unmarked = [n for n in names if n in nodes and ironic_nodes.needs_mark(nodes[n], p["lab"], p["instance"])]
            # What the import created is the lab's from now on (a run killed before this line
            # leaves nodes whose BMC is the lab's: the next run adopts them).
            for name in unmarked:
                mark = ["baremetal", "node", "set", nodes[name]["uuid"]] + ironic_nodes.mark_args(p["lab"], p["instance"])
                cli.run(*mark, log=True)
                marked.append(mark)
        elif command[:3] == ["baremetal", "node", "manage"]:
            cli.wait(command[3:], "manageable", p["timeout"])
        elif command[:3] == ["baremetal", "node", "inspect"]:
            nodes, problems = cli.wait(names, "manageable", p["timeout"])
            fail_on(module, cli, problems, names, "manageable after inspection", nodes, commands)
    if p["introspect"]:
        mismatches = inspection_mismatches(nodes, [e for e in p["expected"] if e.get("name") in names])
        if mismatches:
            module.fail_json(msg="inspection found nodes unlike the lab description: %s" % "; ".join(mismatches),
                             nodes=summary(nodes, names), commands=commands, changed=True)
    if p["provide"]:
        manageable = [n for n in names if (nodes.get(n) or {}).get("provision_state") == "manageable"]
        if manageable:
            commands.append(["overcloud", "node", "provide"] + manageable)
            cli.run(*commands[-1], log=True)
            nodes, problems = cli.wait(names, target, p["timeout"])
            fail_on(module, cli, problems, names, target, nodes, commands)
    remember_import(p["instackenv"], doc)
    module.exit_json(changed=True, nodes=summary(nodes, names), commands=masked(commands + marked, wanted),
                     refreshed=refreshed, left=[])


def fail_on(module, cli, problems, names, target, nodes, commands):
    if problems:
        msg = "%d of %d nodes did not reach %s: %s" % (
            len(problems), len(names), target,
            "; ".join("%s (%s: %s)" % (x["name"], x["state"], x["error"]) for x in problems))
        cli.log("FAILED: %s\n" % msg)
        module.fail_json(msg=msg, nodes=summary(nodes, names), commands=commands, changed=True)


if __name__ == "__main__":
    main()
