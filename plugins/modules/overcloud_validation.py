#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: overcloud_validation
short_description: Read a deployed overcloud from its undercloud and judge whether it is healthy
version_added: "0.2.0"
description:
  - Reads, on the undercloud, the overcloud's servers (Nova's list up to Train; from Wallaby
    metalsmith's nodes in Ironic with their ctlplane addresses from C(baremetal-deployed.yaml)),
    the overcloud's network agents and networks, and over SSH each node's Open vSwitch bridges
    and tunnels (every node at once).
  - Judges what it read against the lab (the checks of a healthy lab) - every node ACTIVE on
    ctlplane; network agents alive and UP where they belong (ML2/OVS or OVN, as deployed);
    C(br-int), C(br-ex) and (ML2/OVS) C(br-tun) on every OVS node; a full VXLAN mesh between
    OVS nodes over their ctlplane addresses; tenant networks with the expected MTU.
  - Changes nothing. It does not fail on an unhealthy overcloud - it returns the report with
    C(ok=false), so the caller writes the report before it fails. It fails when a command
    whose answer the judgement needs fails.
  - Written for this collection because no collection reads an overcloud as a whole; one call
    replaces seven command tasks and a loop per network and node.
options:
  overcloud_rc_file:
    description: Shell file with the overcloud's credentials (C(<stack>rc)).
    type: path
    required: true
  nodes:
    description: The lab's overcloud nodes (the count is what the server list is held to).
    type: list
    elements: dict
    required: true
  nova_servers:
    description:
      - The release lists overcloud servers in the undercloud's Nova (Queens, Train). When false,
        the servers are read from Ironic and I(deployed_file).
    type: bool
    default: false
  deployed_file:
    description: C(baremetal-deployed.yaml) written by C(overcloud node provision) (Wallaby on).
    type: path
  ssh_user:
    description: The user to reach overcloud nodes by SSH as (C(heat-admin) or C(tripleo-admin)).
    type: str
    required: true
  expected_mtu:
    description: MTU tenant networks must have (1500 on the wire minus 50 bytes of VXLAN).
    type: int
    default: 1450
extends_documentation_fragment:
  - labkit.tripleo.attributes
  - labkit.tripleo.openstack_cli
notes:
  - In check mode nothing is read (validation reads a live overcloud); the result says so.
author:
  - labkit.tripleo contributors (@labkit-tripleo)
"""

EXAMPLES = r"""
- name: Read and judge the overcloud
  labkit.tripleo.overcloud_validation:
    rc_file: /home/stack/stackrc
    overcloud_rc_file: /home/stack/overcloudrc
    nodes: "{{ lab_model.nodes }}"
    deployed_file: /home/stack/labkit-mylab/baremetal-deployed.yaml
    ssh_user: tripleo-admin
  register: validation

- name: Fail when the overcloud is not healthy
  ansible.builtin.assert:
    that: validation.ok
    fail_msg: "{{ validation.text }}"
"""

RETURN = r"""
ok:
  description: Every check passed (null in check mode).
  returned: always
  type: bool
checks:
  description: Each check with its result and what was found.
  returned: always
  type: list
  elements: dict
  sample:
    - {check: "server overcloud-controller-0 is ACTIVE on ctlplane", ok: true, detail: "status ACTIVE, ctlplane 192.168.255.12"}
mechanism:
  description: The network mechanism found on the overcloud (C(openvswitch) or C(ovn)).
  returned: when read
  type: str
text:
  description: The report as people read it (the validation-report.txt of the lab).
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.labkit.tripleo.plugins.module_utils import overcloud_state
from ansible_collections.labkit.tripleo.plugins.module_utils.baremetal_cli import CLI_ARGS, Cli
from ansible_collections.labkit.tripleo.plugins.module_utils.overcloud_validation import render, validate


def load_yaml(path):
    import yaml  # python3-pyyaml: on every undercloud, tripleoclient needs it
    with open(path) as handle:
        return yaml.safe_load(handle)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            CLI_ARGS,
            overcloud_rc_file=dict(type="path", required=True),
            nodes=dict(type="list", elements="dict", required=True),
            nova_servers=dict(type="bool", default=False),
            deployed_file=dict(type="path"),
            ssh_user=dict(type="str", required=True),
            expected_mtu=dict(type="int", default=1450),
        ),
        required_if=[("nova_servers", False, ("deployed_file",))],
        supports_check_mode=True,
    )
    params = module.params
    if module.check_mode:
        module.exit_json(changed=False, ok=None, checks=[], text="check mode: the overcloud was not read\n")
    undercloud = Cli(module, params["openstack"], params["rc_file"]).env
    overcloud = Cli(module, params["openstack"], params["overcloud_rc_file"]).env

    def load_deployed():
        try:
            return load_yaml(params["deployed_file"])
        except (IOError, OSError) as exc:
            module.fail_json(msg="cannot read %s (written by overcloud node provision): %s"
                             % (params["deployed_file"], exc))
    try:
        state = overcloud_state.read(
            lambda argv: module.run_command(argv, environ_update=undercloud),
            lambda argv: module.run_command(argv, environ_update=overcloud),
            module.run_command,
            {"openstack_command": params["openstack"], "nova_servers": params["nova_servers"],
             "ssh_user": params["ssh_user"]},
            load_deployed)
    except overcloud_state.ReadError as exc:
        module.fail_json(msg="cannot read the overcloud: %s" % exc)
    report = validate(params["nodes"], state["servers"], state["agents"], state["ovs"], state["networks"],
                      params["expected_mtu"])
    module.exit_json(changed=False, text=render(report), **report)


if __name__ == "__main__":
    main()
