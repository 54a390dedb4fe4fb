#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: vbmc
short_description: One VirtualBMC per overcloud node, added and started idempotently
version_added: "0.1.0"
description:
  - What users know as C(vbmc add), C(vbmc start), C(vbmc stop) and C(vbmc delete), for all
    nodes of a lab in one call. C(vbmcd) must already be running.
  - A BMC that exists with the wanted settings is left alone (a stopped one is started). One
    whose address, port, user, password or libvirt URI differ is stopped, deleted, added again
    and started, because vbmc has no update command and a running BMC keeps its old settings.
  - Binds to I(address) (never to VirtualBMC's default C(::)). After adding, the BMC's config
    directory (which holds the password in plain text) is made private (0700, file 0600).
  - Every BMC the lab adds is marked as the lab's by a file C(labkit-lab) in its config
    directory (the lab's name and I(instance)). An existing BMC named like a node is managed only
    when it carries the mark, or when it has none and drives a domain that carries this lab's
    ownership mark (a BMC from before marks existed, which is then marked); any other, one of
    another instance of the lab included, is someone else's, and the module fails naming it
    before changing anything.
  - Fails before changing anything when another BMC already serves a wanted address and port.
  - The lab's BMCs that I(bmcs) no longer lists (a node removed from the description) are
    stopped and deleted first, so their ports are free for the others.
  - The config directories' permissions are enforced on every run, not only after an add.
  - With I(state=absent), deletes the BMCs marked as this lab's and unmarked ones that drive a
    domain of this lab, nothing else; a BMC of someone else named like a node survives.
  - Talks to C(vbmcd) in its own protocol (what the C(vbmc) client sends) from one process per
    call, run by the Python of VirtualBMC's venv (the C(python3) beside I(vbmc_command)), so the
    passwords go through a pipe, never a command line, and the list, adds, starts and deletes of
    every node cost one interpreter start-up, not one C(vbmc) client start-up each. Without that
    interpreter each step is a C(vbmc) call.
  - Written for this collection because earlier lab tools deleted and re-added every BMC on
    each run and so were never idempotent.
options:
  bmcs:
    description: BMCs, each with C(name) (the libvirt domain) and C(port).
    type: list
    elements: dict
    default: []
  address:
    description: Address every BMC listens on.
    type: str
    default: 127.0.0.1
  username:
    description: IPMI user name.
    type: str
    default: admin
  password:
    description: IPMI password. Never logged.
    type: str
  libvirt_uri:
    description: libvirt URI the BMCs drive.
    type: str
    default: qemu:///system
  vbmc_command:
    description: Path of the vbmc client; its directory's C(python3), when there is one, speaks to vbmcd.
    type: path
    default: vbmc
  config_dir:
    description: VirtualBMC's configuration directory (vbmcd's C(config_dir)).
    type: path
    default: ~/.vbmc
  state:
    description: C(present) adds and starts; C(absent) stops and deletes.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - labkit.tripleo.attributes
  - labkit.tripleo.owner
notes:
  - The password reaches C(vbmc add) as a command-line argument, as vbmc offers no other way;
    on a shared virthost other local users can see process arguments for that moment.
requirements:
  - VirtualBMC (vbmc and a running vbmcd) on the virthost
author:
  - labkit.tripleo contributors (@labkit-tripleo)
"""

EXAMPLES = r"""
- name: BMCs of every overcloud node
  labkit.tripleo.vbmc:
    lab: mylab
    address: 127.0.0.1
    username: admin
    password: "{{ lab_bmc_password }}"
    vbmc_command: /opt/labkit/venv/bin/vbmc
    bmcs:
      - {name: control-1, port: 7001}
      - {name: compute-1, port: 7002}
"""

RETURN = r"""
bmcs:
  description: >-
    What happened to each BMC; C(action) is C(added), C(replaced), C(started), C(unchanged),
    C(marked) (the lab's mark written or given the instance), C(permissions fixed) or C(deleted)
    (a BMC of a node no longer described, or I(state=absent)).
  returned: always
  type: list
  elements: dict
  sample:
    - {name: control-1, address: 127.0.0.1, port: 7001, action: added, status: running}
"""


from ansible.module_utils.basic import AnsibleModule

from ansible_collections.labkit.tripleo.plugins.module_utils import libvirt_conn, ownership
from ansible_collections.labkit.tripleo.plugins.module_utils.vbmc import (
    Vbmc, add_request, classify, endpoint_clashes, make_private, mark_bmc, mark_of_bmc, plan, read_config)


def ensure_present(module, vbmc, params):
    config_dir = params["config_dir"]
    current = vbmc.list()
    wanted = set(b["name"] for b in params["bmcs"])
    marks = dict((name, mark_of_bmc(config_dir, name)) for name in current)
    ours, to_mark, foreign, unwanted = classify(current, wanted, marks, params, lab_domains(module, params))
    if foreign:
        foreign_labs = [marks[name][0] for name in wanted & set(current) if name not in ours | to_mark]
        module.fail_json(msg="these VirtualBMCs are named like nodes of lab %r but are not the lab's, so nothing "
                             "was changed: %s. %s." % (params["lab"], ", ".join(foreign), ownership.remedy(
                                 foreign_labs, params["lab"], "Rename the nodes or delete those BMCs")))
    # The removed nodes' BMCs no longer count as holding their ports.
    remaining = dict((name, row) for name, row in current.items() if name not in unwanted)
    clashes = endpoint_clashes(remaining, params["bmcs"], params["address"])
    if clashes:
        module.fail_json(msg="BMC endpoints already in use, nothing was changed: %s" % "; ".join(clashes))
    pruned = [{"name": name, "address": current[name].get("Address"), "port": int(current[name].get("Port")),
               "action": "deleted", "status": "absent"} for name in unwanted]
    results = plan(remaining, lambda name: read_config(config_dir, name), params)
    for result in results:
        if result["name"] in to_mark and result["action"] == "unchanged":
            result["action"] = "marked"
    if module.check_mode:
        return pruned + results
    # vbmcd's delete, stop and start take many BMCs at once.
    if unwanted:
        vbmc.run("delete", *sorted(unwanted))
    for name in sorted(to_mark & wanted):
        mark_bmc(config_dir, name, params["lab"], params["instance"])
    ports = dict((b["name"], b["port"]) for b in params["bmcs"])
    # All replaced BMCs release their ports before any BMC starts, so two nodes can swap ports.
    replaced = [result["name"] for result in results if result["action"] == "replaced"]
    if replaced:
        vbmc.run("stop", *replaced)
        vbmc.run("delete", *replaced)
    added, error = vbmc.add_all([
        add_request(result["name"], params["address"], ports[result["name"]], params["username"],
                    params["password"], params["libvirt_uri"])
        for result in results if result["action"] in ("added", "replaced")])
    # What was added is the lab's, even when a later add failed.
    for name in added:
        mark_bmc(config_dir, name, params["lab"], params["instance"])
    if error:
        module.fail_json(msg=error, changed=True)
    to_start = []
    for result in results:
        if make_private(config_dir, result["name"]) and result["action"] == "unchanged":
            result["action"] = "permissions fixed"
        if result["action"] not in ("unchanged", "permissions fixed", "marked"):
            to_start.append(result["name"])
    if to_start:
        vbmc.run("start", *to_start)
    return pruned + results


def lab_domains(module, params):
    """Names of libvirt domains carrying this lab's mark."""
    if libvirt_conn.libvirt is None:
        return set()
    conn = libvirt_conn.connect(module, params["libvirt_uri"])
    return set(dom.name() for dom in libvirt_conn.lab_domains(conn, params))


def ensure_absent(module, vbmc, params):
    config_dir = params["config_dir"]
    current = vbmc.list()
    marks = dict((name, mark_of_bmc(config_dir, name)) for name in current)
    ours, to_mark, _foreign, _unwanted = classify(current, set(), marks, params, lab_domains(module, params))
    results = []
    names = sorted(ours | to_mark)
    if names and not module.check_mode:
        vbmc.run("delete", *names)
    for name in names:
        results.append({"name": name, "address": current[name].get("Address"),
                        "port": int(current[name].get("Port")), "action": "deleted", "status": "absent"})
    return results


def main():
    module = AnsibleModule(
        argument_spec=dict(
            ownership.OWNER_ARGS,
            bmcs=dict(type="list", elements="dict", default=[]),
            address=dict(type="str", default="127.0.0.1"),
            username=dict(type="str", default="admin"),
            password=dict(type="str", no_log=True),
            libvirt_uri=dict(type="str", default="qemu:///system"),
            vbmc_command=dict(type="path", default="vbmc"),
            config_dir=dict(type="path", default="~/.vbmc"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_if=[("state", "present", ("password",))],
        supports_check_mode=True,
    )
    if module.params["state"] == "present":
        for index, bmc in enumerate(module.params["bmcs"]):
            if not bmc.get("name") or not isinstance(bmc.get("port"), int):
                module.fail_json(msg="bmcs[%d] needs a 'name' and an integer 'port'" % index)
    vbmc = Vbmc(module)
    try:
        if module.params["state"] == "present":
            results = ensure_present(module, vbmc, module.params)
            changed = any(r["action"] != "unchanged" for r in results)
        else:
            results = ensure_absent(module, vbmc, module.params)
            changed = bool(results)
    finally:
        vbmc.close()
    module.exit_json(changed=changed, bmcs=results)


if __name__ == "__main__":
    main()
