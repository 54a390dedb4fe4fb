#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: baremetal_node_profiles
short_description: The profile capability of every overcloud node, and the matching flavors
version_added: "0.1.0"
description:
  - Sets C(capabilities=profile:<profile>,boot_option:local,boot_mode:bios) on each lab node in the
    undercloud's Ironic (C(openstack baremetal node set --property)), keeping capabilities that
    introspection added, and only where it differs. Then reads every node back and fails,
    naming the node, when one does not carry its profile.
  - A node missing from Ironic fails the module, except in check mode, where the register phase
    only predicted its import; such a node is returned with C(registered=false).
  - With I(flavors) (Queens and Train, which schedule by flavor), makes sure a flavor of each
    profile's name exists with C(capabilities:profile) set, as C(openstack flavor create/set).
  - Written for this collection for the same reason as M(labkit.tripleo.overcloud_node_import).
options:
  nodes:
    description: The lab's overcloud nodes, each with C(name) and C(profile).
    type: list
    elements: dict
    required: true
  flavors:
    description: Also make sure the profiles' flavors exist (needs Nova on the undercloud).
    type: bool
    default: false
extends_documentation_fragment:
  - labkit.tripleo.attributes
  - labkit.tripleo.openstack_cli
author:
  - labkit.tripleo contributors (@labkit-tripleo)
"""

EXAMPLES = r"""
- name: Profiles of the overcloud nodes
  labkit.tripleo.baremetal_node_profiles:
    rc_file: /home/stack/stackrc
    nodes:
      - {name: control-1, profile: control}
      - {name: compute-1, profile: compute}
"""

RETURN = r"""
nodes:
  description: Each node with its capabilities after the run.
  returned: always
  type: list
  elements: dict
  sample:
    - {name: control-1, profile: control, capabilities: "profile:control,boot_option:local,boot_mode:bios", changed: false}
flavors:
  description: Flavors created or updated.
  returned: always
  type: list
  elements: str
"""

import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.labkit.tripleo.plugins.module_utils.baremetal_cli import (
    CLI_ARGS, Cli, parse_capabilities, wanted_capabilities)


def ensure_flavor(module, cli, profile):
    rc, out, _err = cli.run("flavor", "show", profile, "-f", "json", check=False)
    wanted = {"capabilities:profile": profile, "capabilities:boot_option": "local"}
    if rc == 0:
        properties = json.loads(out).get("properties") or {}
        if isinstance(properties, str):
            properties = dict(item.split("=", 1) for item in properties.replace("'", "").split(", ") if "=" in item)
        if all(properties.get(k) == v for k, v in wanted.items()):
            return False
    if module.check_mode:
        return True
    if rc != 0:
        cli.run("flavor", "create", "--id", "auto", "--ram", "4096", "--disk", "40", "--vcpus", "1", profile)
    args = ["flavor", "set"]
    for key, value in wanted.items():
        args += ["--property", "%s=%s" % (key, value)]
    cli.run(*(args + [profile]))
    return True


def main():
    module = AnsibleModule(
        argument_spec=dict(
            CLI_ARGS,
            nodes=dict(type="list", elements="dict", required=True),
            flavors=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    cli = Cli(module, p["openstack"], p["rc_file"])
    current = cli.nodes()
    missing = [n["name"] for n in p["nodes"] if n["name"] not in current]
    # In check mode the register phase only predicted its imports; those nodes will get their
    # profile from instackenv.json when it really runs.
    if missing and not module.check_mode:
        module.fail_json(msg="not registered in Ironic: %s. Run the register phase first (--tags register)."
                         % ", ".join(missing))
    results = []
    for node in p["nodes"]:
        if node["name"] not in current:
            results.append({"name": node["name"], "profile": node["profile"], "registered": False,
                            "capabilities": wanted_capabilities("", node["profile"]), "changed": False})
            continue
        have = current[node["name"]]["capabilities"]
        want = wanted_capabilities(have, node["profile"])
        changed = parse_capabilities(have) != parse_capabilities(want)
        if changed and not module.check_mode:
            cli.run("baremetal", "node", "set", "--property", "capabilities=%s" % want, node["name"])
        results.append({"name": node["name"], "profile": node["profile"], "capabilities": want, "changed": changed})
    if not module.check_mode and any(r["changed"] for r in results):
        after = cli.nodes()
        wrong = [r["name"] for r in results
                 if parse_capabilities(after[r["name"]]["capabilities"]).get("profile") != r["profile"]]
        if wrong:
            module.fail_json(msg="profile not set on: %s" % ", ".join(wrong), nodes=results)
    flavors = []
    if p["flavors"]:
        for profile in sorted(set(n["profile"] for n in p["nodes"])):
            if ensure_flavor(module, cli, profile):
                flavors.append(profile)
    module.exit_json(changed=any(r["changed"] for r in results) or bool(flavors), nodes=results, flavors=flavors)


if __name__ == "__main__":
    main()
