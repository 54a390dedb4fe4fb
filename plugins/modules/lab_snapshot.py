#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: lab_snapshot
short_description: Save, revert, list and delete snapshots of a whole lab at once
version_added: "0.2.0"
description:
  - I(action=save) takes a snapshot named I(name) of every VM of the lab (libvirt internal
    snapshots, inside each VM's qcow2 disks; a running VM's memory too). The running VMs are
    paused together first and resumed after the last snapshot, so every VM is saved at the same
    moment. Saving a name every VM has already changes nothing; a save killed half-way is taken
    again from the start.
  - I(action=revert) puts every VM back as it was saved, disks and power state (a VM saved
    running runs again from that moment, one saved off is off). The BMCs drive the domains by
    name, so they drive the reverted ones.
  - I(action=delete) removes the lab's snapshots of that name; I(action=list) lists them.
  - Each snapshot's description carries the lab's mark; a snapshot of that name without it
    (someone else's) is never reverted or deleted, and saving over it is refused.
  - Written for this collection because C(community.libvirt) snapshots one domain per call and
    knows no lab, and C(virsh snapshot-create-as) per VM saves them at different moments.
options:
  vms:
    description: Names of the lab's VMs (the undercloud and every node).
    type: list
    elements: str
    required: true
  action:
    description: What to do.
    type: str
    choices: [save, revert, list, delete]
    default: list
  name:
    description: The snapshot's name (required but with I(action=list)).
    type: str
extends_documentation_fragment:
  - labkit.tripleo.libvirt
  - labkit.tripleo.attributes
  - labkit.tripleo.owner
requirements:
  - libvirt Python binding on the virthost; qcow2 disks (every disk the lab makes is)
author:
  - labkit.tripleo contributors (@labkit-tripleo)
"""

EXAMPLES = r"""
- name: Save the lab once the undercloud is installed
  labkit.tripleo.lab_snapshot:
    lab: mylab
    vms: [undercloud, control-1, compute-1]
    action: save
    name: undercloud-installed

- name: Every night, back to the installed undercloud before deploying
  labkit.tripleo.lab_snapshot:
    lab: mylab
    vms: [undercloud, control-1, compute-1]
    action: revert
    name: undercloud-installed
"""

RETURN = r"""
snapshots:
  description: With I(action=list), the lab's snapshots by name, each with its VMs and creation time.
  returned: always
  type: dict
  sample: {undercloud-installed: {vms: [undercloud, control-1], created: 1795305600}}
vms:
  description: The VMs the action changed (or would, in check mode).
  returned: always
  type: list
  elements: str
seconds:
  description: How long the action took.
  returned: always
  type: float
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.labkit.tripleo.plugins.module_utils import libvirt_conn, lab_snapshots, ownership


def lab_vms(module, conn, params):
    """{name: domain} of every VM of the lab; fails when one is missing or not the lab's."""
    existing, foreign = libvirt_conn.find_domains(conn, params["vms"], params)
    missing = [name for name in params["vms"] if name not in existing]
    if foreign or missing:
        module.fail_json(msg="lab %s: %s. Build the lab first (site.yml)." % (params["lab"], "; ".join(
            ["%s is not defined" % name for name in missing]
            + ["%s is not the lab's (owner: %s)" % (name, ownership.describe(*found)) for name, found in foreign])))
    return existing


def find_snapshot(module, dom, name, params):
    """(snapshot, mark) of ``name`` on ``dom``, (None, None) without one; fails on a foreign one."""
    libvirt = libvirt_conn.libvirt
    try:
        snap = dom.snapshotLookupByName(name, 0)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN_SNAPSHOT:
            return None, None
        raise
    mark = lab_snapshots.read_mark(snap.getXMLDesc(0))
    if lab_snapshots.judge(mark, params) == ownership.FOREIGN:
        module.fail_json(msg="snapshot %r of %s was not taken by lab %r (owner: %s); it is left as it is. %s." % (
            name, dom.name(), params["lab"], ownership.describe(mark[0], mark[1]),
            ownership.remedy([mark[0]], params["lab"], "Choose another snapshot name")))
    return snap, mark


def is_running(dom):
    """Running, not paused: what save pauses and records as running, and what revert stops first."""
    return dom.isActive() and dom.state()[0] == libvirt_conn.libvirt.VIR_DOMAIN_RUNNING


def save(module, doms, params):
    found = dict((vm, find_snapshot(module, dom, params["name"], params)) for vm, dom in doms.items())
    plan = lab_snapshots.save_plan(dict((vm, mark) for vm, (_snap, mark) in found.items()), list(doms))
    if plan["unchanged"]:
        return []
    if module.check_mode:
        return sorted(doms)
    for vm in plan["replace"]:
        found[vm][0].delete(0)
    running = [vm for vm, dom in doms.items() if is_running(dom)]
    paused = []
    try:
        for vm in running:
            doms[vm].suspend()
            paused.append(vm)
        for vm, dom in sorted(doms.items()):
            dom.snapshotCreateXML(lab_snapshots.snapshot_xml(params["name"], params["lab"], params["instance"],
                                                             vm in running), 0)
    finally:
        for vm in paused:
            doms[vm].resume()
    return sorted(doms)


def revert(module, doms, params):
    found = dict((vm, find_snapshot(module, dom, params["name"], params)) for vm, dom in doms.items())
    missing = sorted(vm for vm, (snap, _mark) in found.items() if snap is None)
    if missing:
        module.fail_json(msg="lab %s has no snapshot %r of %s; nothing was reverted" % (
            params["lab"], params["name"], ", ".join(missing)))
    if module.check_mode:
        return sorted(doms)
    # Stop the clock of every running VM first, so none runs on while another is put back.
    for dom in doms.values():
        if is_running(dom):
            dom.suspend()
    for vm, dom in sorted(doms.items()):
        snap, mark = found[vm]
        dom.revertToSnapshot(snap, lab_snapshots.revert_flags(mark[2], dom.isActive(), libvirt_conn.libvirt))
    return sorted(doms)


def delete(module, doms, params):
    changed = []
    for vm, dom in sorted(doms.items()):
        snap, _mark = find_snapshot(module, dom, params["name"], params)
        if snap is not None:
            changed.append(vm)
            if not module.check_mode:
                snap.delete(0)
    return changed


def listing(doms, params):
    rows = []
    for vm, dom in sorted(doms.items()):
        for snap in dom.listAllSnapshots(0):
            xml = snap.getXMLDesc(0)
            if lab_snapshots.judge(lab_snapshots.read_mark(xml), params) != ownership.FOREIGN:
                rows.append((vm, snap.getName(), lab_snapshots.created_at(xml)))
    return lab_snapshots.listing(rows)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            ownership.OWNER_ARGS,
            uri=libvirt_conn.URI_OPTION,
            vms=dict(type="list", elements="str", required=True),
            action=dict(type="str", choices=list(lab_snapshots.ACTIONS), default="list"),
            name=dict(type="str"),
        ),
        required_if=[("action", "save", ("name",)), ("action", "revert", ("name",)), ("action", "delete", ("name",))],
        supports_check_mode=True,
    )
    params = module.params
    if params["action"] != "list":
        problem = lab_snapshots.check_name(params["name"])
        if problem:
            module.fail_json(msg="snapshot_name: %s" % problem)
    started = time.time()
    conn = libvirt_conn.connect(module, params["uri"])
    doms = lab_vms(module, conn, params)
    try:
        if params["action"] == "list":
            module.exit_json(changed=False, snapshots=listing(doms, params), vms=[], seconds=0.0)
        changed = {"save": save, "revert": revert, "delete": delete}[params["action"]](module, doms, params)
    except libvirt_conn.libvirt.libvirtError as exc:
        module.fail_json(msg="%s of snapshot %r failed: %s" % (params["action"], params["name"], exc))
    module.exit_json(changed=bool(changed), vms=changed, snapshots={}, seconds=round(time.time() - started, 1))


if __name__ == "__main__":
    main()
