#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ovs_bridge
short_description: The lab's Open vSwitch bridge, uplink trunk and tagged host port
version_added: "0.1.0"
description:
  - Creates the Open vSwitch bridge that joins every lab VM, with its datapath chosen
    automatically - the kernel datapath where the C(openvswitch) module is loaded or
    loadable, the userspace C(netdev) datapath otherwise (with a warning, since it is slower).
  - Adds the optional uplink NIC as a trunk of the lab VLANs, and an internal port for the
    host's own lab address, tagged with the provisioning VLAN. The tag lives in the OVS
    database and so survives a reboot; the address is applied here and, where systemd is
    PID 1, restored at boot by a unit C(labkit-<lab>-host-address.service) that this module
    writes, enables, and removes with the address or the bridge.
  - All changes are applied in one C(ovs-vsctl) transaction.
  - The bridge and its ports are marked with C(external_ids:labkit-lab) and
    C(external_ids:labkit-instance); a bridge or port of the same name without this lab's mark,
    or with another instance's, is never modified or deleted.
  - Written for this collection because C(openvswitch.openvswitch) applies C(set) options only
    when a port is created and has no trunk option.
options:
  bridge:
    description: Bridge name.
    type: str
    required: true
  datapath:
    description: C(auto) picks C(system) (kernel) when possible and C(netdev) otherwise.
    type: str
    choices: [auto, system, netdev]
    default: auto
  uplink:
    description: Physical NIC to add as a trunk of I(vlans).
    type: str
  vlans:
    description: VLANs the uplink carries.
    type: list
    elements: int
    default: []
  host_port:
    description: Internal port for the host's own address on the lab.
    type: str
  host_vlan:
    description: VLAN tag of I(host_port).
    type: int
    default: 100
  host_address:
    description: Address with prefix length to put on I(host_port), for example C(192.168.255.200/24).
    type: str
  state:
    description: C(absent) deletes the bridge with all its ports if this lab created it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - labkit.tripleo.attributes
  - labkit.tripleo.owner
requirements:
  - ovs-vsctl and ip on the virthost, ovsdb-server and ovs-vswitchd running
author:
  - labkit.tripleo contributors (@labkit-tripleo)
"""

EXAMPLES = r"""
- name: Lab bridge with a trunk uplink and the host on VLAN 100
  labkit.tripleo.ovs_bridge:
    lab: mylab
    bridge: ovs-br1
    uplink: eno2
    vlans: [100, 101, 102]
    host_port: ovs-br1-host
    host_vlan: 100
    host_address: 192.168.255.200/24
"""

RETURN = r"""
address_unit:
  description: The systemd unit that restores the host address at boot (null without systemd or address).
  returned: always
  type: str
  sample: /etc/systemd/system/labkit-mylab-host-address.service
datapath:
  description: Datapath type of the bridge.
  returned: when state is present
  type: str
  sample: netdev
datapath_reason:
  description: Why that datapath was chosen.
  returned: when state is present
  type: str
  sample: the openvswitch kernel module is not loaded and cannot be loaded
commands:
  description: The ovs-vsctl commands applied (or that would be, in check mode).
  returned: always
  type: list
  elements: list
address_added:
  description: Whether the host address was added to the host port.
  returned: when state is present
  type: bool
"""

import ipaddress
import json
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.labkit.tripleo.plugins.module_utils import ovs, ownership, service

UNIT_DIR = "/etc/systemd/system"


def vsctl(module, *args):
    rc, out, err = module.run_command(["ovs-vsctl", "--timeout=10"] + list(args))
    if rc != 0:
        module.fail_json(msg="ovs-vsctl %s failed: %s" % (" ".join(args), err.strip() or out.strip()), rc=rc)
    return out


def read_state(module):
    rows = [ovs.table(vsctl(module, "--format=json", "--columns=" + cols, "list", tbl))
            for tbl, cols in (("Bridge", "_uuid,name,datapath_type,external_ids,ports"),
                              ("Port", "_uuid,name,tag,trunks,external_ids"),
                              ("Interface", "name,type"))]
    return ovs.read_state(*rows)


def choose_datapath(module, requested, existing):
    if requested != "auto":
        return requested, "requested"
    kernel = os.path.isdir("/sys/module/openvswitch")
    if existing is not None and existing["datapath_type"]:
        return existing["datapath_type"], "kept from the existing bridge (openvswitch kernel module %s)" % (
            "loaded" if kernel else "not loaded")
    if kernel:
        return "system", "the openvswitch kernel module is loaded"
    if not module.check_mode:
        rc, _out, _err = module.run_command(["modprobe", "openvswitch"])
        if rc == 0 and os.path.isdir("/sys/module/openvswitch"):
            return "system", "the openvswitch kernel module was loaded"
    return "netdev", "the openvswitch kernel module is not loaded and cannot be loaded"


def ensure_address(module, port, address):
    """Put ``address`` on ``port`` and bring it up; True when something changed."""
    rc, out, err = module.run_command(["ip", "-j", "addr", "show", "dev", port])
    if rc != 0:
        if module.check_mode:
            return True
        module.fail_json(msg="cannot read addresses of %s: %s" % (port, err.strip()))
    info = json.loads(out)[0] if out.strip() else {}
    # Compared as addresses, not text: fd00:0::1/64 is the fd00::1/64 that ip prints.
    present = [ipaddress.ip_interface("%s/%s" % (a["local"], a["prefixlen"])) for a in info.get("addr_info", [])]
    up = "UP" in info.get("flags", [])
    changed = False
    if not up:
        changed = True
        if not module.check_mode:
            module.run_command(["ip", "link", "set", "dev", port, "up"], check_rc=True)
    if ipaddress.ip_interface(address) not in present:
        changed = True
        if not module.check_mode:
            module.run_command(["ip", "addr", "add", address, "dev", port], check_rc=True)
    return changed


def address_unit(module, params, unit_dir=UNIT_DIR):
    """The oneshot unit that puts the host address back at boot: the port and its tag persist
    in the OVS database, the address does not."""
    ip = module.get_bin_path("ip", required=True)
    port, address = params["host_port"] or "", params["host_address"] or ""
    text = service.render_unit("lab %s" % params["lab"], "Host address of lab %s on %s of bridge %s"
                               % (params["lab"], port, params["bridge"]),
                               [[ip, "link", "set", "dev", port, "up"], [ip, "addr", "replace", address, "dev", port]],
                               after=("ovs-vswitchd.service", "openvswitch-switch.service", "openvswitch.service"),
                               wants=("ovs-vswitchd.service",), oneshot=True)
    return service.SystemdUnit(module, "labkit-%s-host-address.service" % params["lab"], text, unit_dir=unit_dir)


def keep_address(module, params, unit_dir=UNIT_DIR):
    """Install the address unit, or remove one left from a description that had an address
    (or with the bridge it serves). Returns (changed, the unit's path or None).

    The unit is named after the lab, so a renamed bridge's clean-up must not take the unit
    of the bridge that replaced it: a unit is removed only with the bridge it names. A file
    of that name that this lab did not write is never overwritten."""
    if not service.systemd_is_init():
        return False, None
    unit = address_unit(module, params, unit_dir)
    installed = service.read_text(unit.unit_path)
    if installed is not None and not installed.startswith(unit.unit_text.split("\n", 1)[0] + "\n"):
        module.fail_json(msg="%s exists and was not written by lab %s; refusing to overwrite or remove it"
                         % (unit.unit_path, params["lab"]))
    if params["state"] == "present" and params["host_address"]:
        changed = unit.definition_changed()
        if changed and not module.check_mode:
            unit.install()
        return changed, unit.unit_path
    serves_this_bridge = installed is not None and (" of bridge %s\n" % params["bridge"]) in installed
    removed = serves_this_bridge or (params["state"] == "present" and installed is not None)
    if removed and not module.check_mode:
        unit.remove()
    return removed, None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            ownership.OWNER_ARGS,
            bridge=dict(type="str", required=True),
            datapath=dict(type="str", choices=["auto", "system", "netdev"], default="auto"),
            uplink=dict(type="str"),
            vlans=dict(type="list", elements="int", default=[]),
            host_port=dict(type="str"),
            host_vlan=dict(type="int", default=100),
            host_address=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_by={"host_address": ("host_port",)},
        supports_check_mode=True,
    )
    params = module.params
    if params["uplink"] and not params["vlans"]:
        # An empty trunk list means every VLAN to Open vSwitch, not none.
        module.fail_json(msg="uplink %s needs the VLANs it carries (vlans); an empty list would trunk every VLAN"
                         % params["uplink"])
    state = read_state(module)
    existing = state["bridges"].get(params["bridge"])

    if params["state"] == "absent":
        commands = []
        if existing is not None:
            if ovs.verdict(existing, params) != ownership.FOREIGN:
                commands = [["del-br", params["bridge"]]]
            else:
                module.warn("Open vSwitch bridge %r was not created by lab %r (owner: %s); left untouched"
                            % (params["bridge"], params["lab"], ovs.describe_owner(existing)))
        if commands and not module.check_mode:
            vsctl(module, *ovs.transaction(commands))
        unit_removed, _unit = keep_address(module, params)
        module.exit_json(changed=bool(commands) or unit_removed, commands=commands, address_unit=None)

    datapath, reason = choose_datapath(module, params["datapath"], existing)
    if datapath == "netdev":
        module.warn("bridge %s uses the userspace datapath (netdev): %s. It works, but more slowly than the "
                    "kernel datapath." % (params["bridge"], reason))
    desired = dict(lab=params["lab"], instance=params["instance"], adopt=params["adopt"], bridge=params["bridge"],
                   datapath_type=datapath, uplink=params["uplink"],
                   vlans=params["vlans"], host_port=params["host_port"], host_vlan=params["host_vlan"])
    try:
        commands = ovs.plan(state, desired)
    except ovs.Conflict as exc:
        module.fail_json(msg="%s; refusing to modify it. %s." % (
            exc, ownership.remedy([exc.owner_lab], params["lab"], "Rename lab.network.bridge or remove it")))
    if commands and not module.check_mode:
        vsctl(module, *ovs.transaction(commands))
    address_added = False
    if params["host_address"]:
        address_added = ensure_address(module, params["host_port"], params["host_address"])
    unit_changed, unit_path = keep_address(module, params)
    module.exit_json(changed=bool(commands) or address_added or unit_changed, commands=commands, datapath=datapath,
                     datapath_reason=reason, address_added=address_added, address_unit=unit_path)


if __name__ == "__main__":
    main()
