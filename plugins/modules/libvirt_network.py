#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: libvirt_network
short_description: A lab's libvirt network on an Open vSwitch bridge, with VLAN portgroups
version_added: "0.1.0"
description:
  - Defines, starts and autostarts a libvirt network in bridge mode on an Open vSwitch
    bridge (C(virtualport type=openvswitch)) with access and trunk portgroups, as
    C(virsh net-define), C(net-start) and C(net-autostart) would.
  - A portgroup that was added, changed or removed in the description is updated in
    place (C(virsh net-update ... portgroup)), on the live network and its persistent
    definition, so VMs attached to the network keep running.
  - Written for this collection because C(community.libvirt.virt_net) never updates an
    existing network definition and records no ownership.
  - The network is marked as owned by the lab (its name and I(instance)) in its C(<metadata>).
    A network of the same name without that mark, or with another instance's, is never modified
    or removed; the module fails instead.
options:
  name:
    description: Network name.
    type: str
    required: true
  bridge:
    description: Name of the Open vSwitch bridge the network sits on. Required with I(state=present).
    type: str
  portgroups:
    description:
      - Portgroups, each with C(name) and either C(vlan) (an access port) or C(trunk)
        (a list of VLAN ids).
    type: list
    elements: dict
    default: []
  state:
    description:
      - C(present) defines, starts and autostarts the network.
      - C(absent) stops and undefines it when this lab owns it; a foreign network is left alone.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - labkit.tripleo.libvirt
  - labkit.tripleo.attributes
  - labkit.tripleo.owner
requirements:
  - libvirt Python binding on the virthost
author:
  - labkit.tripleo contributors (@labkit-tripleo)
"""

EXAMPLES = r"""
- name: Lab network with provisioning, management and trunk portgroups
  labkit.tripleo.libvirt_network:
    lab: mylab
    name: ovs-network-1
    bridge: ovs-br1
    portgroups:
      - {name: access-100, vlan: 100}
      - {name: access-101, vlan: 101}
      - {name: trunk-1, trunk: [100, 101, 102]}

- name: Remove it again (only if this lab created it)
  labkit.tripleo.libvirt_network:
    lab: mylab
    name: ovs-network-1
    state: absent
"""

RETURN = r"""
actions:
  description: What was done (or, in check mode, would be done), in order.
  returned: always
  type: list
  elements: str
  sample: ["define", "start", "autostart"]
network:
  description: The network as it is after the run (as it would be, in check mode).
  returned: when state is present
  type: dict
  sample: {"name": "ovs-network-1", "bridge": "ovs-br1", "active": true, "autostart": true,
           "portgroups": ["access-100", "access-101", "trunk-1"]}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.labkit.tripleo.plugins.module_utils import libvirt_conn, ownership
from ansible_collections.labkit.tripleo.plugins.module_utils.libvirt_xml import (
    network_xml, parse_network, portgroup_changes, portgroup_xml, with_mark)


def _update_portgroup(net, command, xml, live):
    libvirt = libvirt_conn.libvirt
    flags = libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG
    if live:
        flags |= libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE
    try:
        net.update(command, libvirt.VIR_NETWORK_SECTION_PORTGROUP, -1, xml, flags)
    except libvirt.libvirtError:
        # Some libvirt builds swap command and section on the wire (a long-standing
        # libvirt bug that virsh works around); try the other order before giving up.
        net.update(libvirt.VIR_NETWORK_SECTION_PORTGROUP, command, -1, xml, flags)


def ensure_present(module, conn, params):
    libvirt = libvirt_conn.libvirt
    actions = []
    net = libvirt_conn.lookup(conn.networkLookupByName, params["name"])
    if net is None:
        actions += ["define", "start", "autostart"]
        if not module.check_mode:
            net = conn.networkDefineXML(network_xml(params["lab"], params["name"], params["bridge"],
                                                    params["portgroups"], instance=params["instance"] or None))
            net.create()
            net.setAutostart(1)
        return actions, {"name": params["name"], "bridge": params["bridge"], "active": True,
                         "autostart": True, "portgroups": [pg["name"] for pg in params["portgroups"]]}

    inactive_xml = net.XMLDesc(libvirt.VIR_NETWORK_XML_INACTIVE)
    current = parse_network(inactive_xml)
    verdict = ownership.judge(current["owner"], current["owner_instance"], params["lab"], params["instance"],
                              params["adopt"])
    if verdict == ownership.FOREIGN:
        module.fail_json(msg="libvirt network %r exists but was not created by lab %r (owner: %s); "
                             "refusing to modify it. %s."
                         % (params["name"], params["lab"], ownership.describe(current["owner"], current["owner_instance"]),
                            ownership.remedy([current["owner"]], params["lab"],
                                             "Rename lab.network.name or remove that network")))
    if verdict == ownership.TO_STAMP:
        actions.append("mark with instance %s" % params["instance"])
        if not module.check_mode:
            net = conn.networkDefineXML(with_mark(inactive_xml, params["lab"], params["instance"]))
    if current["bridge"] != params["bridge"] or current["forward"] != "bridge" or not current["openvswitch"]:
        module.fail_json(msg="libvirt network %r is on bridge %r (forward %s), the lab wants Open vSwitch "
                             "bridge %r; a network's bridge cannot change in place. Run the teardown playbook "
                             "first." % (params["name"], current["bridge"], current["forward"], params["bridge"]))

    live = bool(net.isActive())
    add, modify, delete = portgroup_changes(current["portgroups"], params["portgroups"])
    for command, items, label in (
            (getattr(libvirt, "VIR_NETWORK_UPDATE_COMMAND_DELETE", 2), delete, "delete"),
            (getattr(libvirt, "VIR_NETWORK_UPDATE_COMMAND_MODIFY", 1), modify, "modify"),
            (getattr(libvirt, "VIR_NETWORK_UPDATE_COMMAND_ADD_LAST", 3), add, "add")):
        for pg in items:
            actions.append("%s portgroup %s" % (label, pg["name"]))
            if not module.check_mode:
                _update_portgroup(net, command, portgroup_xml(pg), live)
    if not live:
        actions.append("start")
        if not module.check_mode:
            net.create()
    if not net.autostart():
        actions.append("autostart")
        if not module.check_mode:
            net.setAutostart(1)
    if modify and live:
        module.warn("portgroup change on running network %r applies to ports that attach from now on; "
                    "running VMs keep their current VLAN until their NIC is re-attached or they restart"
                    % params["name"])
    return actions, {"name": params["name"], "bridge": params["bridge"], "active": True, "autostart": True,
                     "portgroups": [pg["name"] for pg in params["portgroups"]]}


def ensure_absent(module, conn, params):
    net = libvirt_conn.lookup(conn.networkLookupByName, params["name"])
    if net is None:
        return []
    owner = parse_network(net.XMLDesc(libvirt_conn.libvirt.VIR_NETWORK_XML_INACTIVE))
    if not ownership.is_ours(owner["owner"], owner["owner_instance"], params["lab"], params["instance"],
                             params["adopt"]):
        module.warn("libvirt network %r was not created by lab %r (owner: %s); left untouched"
                    % (params["name"], params["lab"], ownership.describe(owner["owner"], owner["owner_instance"])))
        return []
    actions = []
    if net.isActive():
        actions.append("destroy")
        if not module.check_mode:
            net.destroy()
    actions.append("undefine")
    if not module.check_mode:
        net.undefine()
    return actions


def main():
    module = AnsibleModule(
        argument_spec=dict(
            ownership.OWNER_ARGS,
            uri=libvirt_conn.URI_OPTION,
            name=dict(type="str", required=True),
            bridge=dict(type="str"),
            portgroups=dict(type="list", elements="dict", default=[]),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_if=[("state", "present", ("bridge",))],
        supports_check_mode=True,
    )
    conn = libvirt_conn.connect(module, module.params["uri"])
    try:
        if module.params["state"] == "present":
            actions, network = ensure_present(module, conn, module.params)
            module.exit_json(changed=bool(actions), actions=actions, network=network)
        actions = ensure_absent(module, conn, module.params)
        module.exit_json(changed=bool(actions), actions=actions)
    except libvirt_conn.libvirt.libvirtError as exc:
        module.fail_json(msg="libvirt error on network %r: %s" % (module.params["name"], exc))


if __name__ == "__main__":
    main()
