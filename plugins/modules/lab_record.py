#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: lab_record
short_description: The lab's record on the virthost (instance id, BMC ports by node)
version_added: "0.2.0"
description:
  - Keeps C(<dir>/<lab>/state.json) (directory 0700, file 0600, written atomically), holding the
    lab's instance id, created on the first run, and the BMC port each node was given.
  - A node keeps its recorded BMC port whatever its place in the description; a new node
    takes the lowest free port from I(port_start); nodes with a port of their own
    (I(reserved_ports)) keep theirs. So adding, removing or reordering nodes never moves
    another node's BMC. Returns the ports for the lab model.
  - Temporary files a killed run left in the record's directory are removed.
  - With I(state=absent) removes the record (teardown), unless it still lists firewall rules the lab
    opened (M(labkit.tripleo.lab_firewall)), which are the lab's by the record alone; then it fails
    naming them.
  - With I(lock), takes the lab's lock before anything else, as M(labkit.tripleo.lab_lock) does
    (in check mode too), and gives it back when the record refuses the run; with I(state=absent)
    releases it once the record is gone; with I(state=released) only releases it, at the end of a
    run, leaving the record as it is. One module for the lock and the record, so a playbook run
    builds one module payload for both, not two.
  - Returns C(boot_check_left), whether a boot check may have left something behind, that is
    whether the claim a boot check makes in the record before its namespace exists is still
    there, or the record is too old to hold one. Teardown looks for a boot check's leftovers only then.
options:
  lock:
    description:
      - The lab's lock for this run, as M(labkit.tripleo.lab_lock) takes it.
    type: dict
    suboptions:
      run_id:
        description: Identifies this run (made once on the controller).
        type: str
        required: true
      user:
        description: Who runs it (reported to a second run).
        type: str
        default: ""
      break_lock:
        description: Take the lock even though its holder looks alive.
        type: bool
        default: false
  nodes:
    description: Names of the nodes whose BMC port is chosen here (IPMI nodes without C(bmc_port)).
    type: list
    elements: str
    default: []
  port_start:
    description: First port given to a new node.
    type: int
    default: 7001
  reserved_ports:
    description: Ports nodes chose themselves (C(nodes[].bmc_port)); never given to another node.
    type: list
    elements: int
    default: []
  places:
    description:
      - Where the lab's objects are (images directory, network, bridge...), recorded as given.
      - A place that differs from the recorded one is listed in the record as stale (returned as
        I(stale_places)) until a run removed what the lab left there and said so with I(state=cleaned).
    type: dict
    default: {}
  description:
    description:
      - The lab description as given (the C(lab) variable), kept in the record without any key naming a
        password, so that C(playbooks/teardown.yml -e teardown_lab_from_record=<lab>) can remove a lab
        that was renamed or whose description is gone.
    type: dict
    default: {}
  known_instance:
    description:
      - The instance id the controller kept from its last run of this lab (empty on a first run or a
        fresh checkout). When the record holds another instance, or the controller knows none and the
        lab was built from another controller (I(controller)), the run fails unless I(adopt) is set.
    type: str
    default: ""
  controller:
    description: C(user@host) of the controller, recorded when the lab is first built.
    type: str
    default: ""
  adopt:
    description: Take over a lab of this name built by another controller or description.
    type: bool
    default: false
  cleaned:
    description: With I(state=cleaned), the stale places (key to list of values) now emptied of the lab's objects.
    type: dict
    default: {}
  state:
    description:
      - C(present) reads and updates the record; C(absent) removes it; C(cleaned) only drops the
        stale places in I(cleaned); C(released) only gives the lock of this run back (I(lock) is
        then required).
    type: str
    choices: [present, absent, cleaned, released]
    default: present
extends_documentation_fragment:
  - labkit.tripleo.lab_dir
  - labkit.tripleo.attributes
author:
  - labkit.tripleo contributors (@labkit-tripleo)
"""

EXAMPLES = r"""
- name: Read and update the lab record
  labkit.tripleo.lab_record:
    lab: mylab
    nodes: [control-0, compute-0]
    port_start: 7001
  register: record

- name: Forget the lab (teardown)
  labkit.tripleo.lab_record:
    lab: mylab
    state: absent
"""

RETURN = r"""
instance:
  description: The lab's instance id (a UUID made on the first run), or null after I(state=absent).
  returned: always
  type: str
bmc_ports:
  description: BMC port by node name, for the nodes in I(nodes).
  returned: always
  type: dict
stale_places:
  description: Places the lab used before and no longer does, by key (C(network), C(bridge), C(images_dir)...).
  returned: always
  type: dict
  sample: {network: [oldnet]}
full:
  description: Nodes that found no free port (the lab model then names them).
  returned: always
  type: list
  elements: str
path:
  description: The record file.
  returned: always
  type: str
boot_check_left:
  description: Whether a boot check of the lab may have left its namespace, processes or port behind
    (its claim is in the record, or the record predates such claims, or there is none).
  returned: always
  type: bool
lock:
  description:
    - What became of the lock, when I(lock) is given. C(action) is C(acquired), C(held), C(taken over)
      (from a dead run, then named in C(previous)), C(released) or C(not held).
  returned: when I(lock) is given
  type: dict
  sample: {action: acquired}
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.labkit.tripleo.plugins.module_utils import lab_firewall, lab_lock, lab_record
from ansible_collections.labkit.tripleo.plugins.module_utils.lab_network import assign_bmc_ports


def main():
    module = AnsibleModule(
        argument_spec=dict(
            lab_record.LAB_DIR_ARGS,
            nodes=dict(type="list", elements="str", default=[]),
            port_start=dict(type="int", default=7001),
            reserved_ports=dict(type="list", elements="int", default=[]),
            places=dict(type="dict", default={}),
            cleaned=dict(type="dict", default={}),
            description=dict(type="dict", default={}),
            known_instance=dict(type="str", default=""),
            controller=dict(type="str", default=""),
            adopt=dict(type="bool", default=False),
            state=dict(type="str", choices=["present", "absent", "cleaned", "released"], default="present"),
            lock=dict(type="dict", options=lab_lock.LOCK_OPTIONS),
        ),
        required_if=[("state", "released", ("lock",))],
        supports_check_mode=True,
    )
    params = module.params
    directory = lab_record.lab_dir(params["dir"], params["lab"])
    path = os.path.join(directory, lab_record.RECORD_FILE)
    lock = params["lock"]
    held = None
    if lock and params["state"] == "present":
        held = lab_lock.take_or_fail(module, directory, params["lab"], lock["run_id"], lock["user"],
                                     lock["break_lock"])

    def fail(msg):
        # A run the record refuses leaves no lock behind for the next one to take over.
        if held and held["action"] != "held":
            lab_lock.release_and_tidy(directory, lock["run_id"])
        module.fail_json(msg=msg)

    if params["state"] == "released":
        if not lock:
            module.fail_json(msg="state=released gives back this run's lock: lock.run_id is required")
        # The lock is not part of the lab: a check run gives it back too.
        action = lab_lock.release_and_tidy(directory, lock["run_id"])
        module.exit_json(changed=False, instance=None, bmc_ports={}, full=[], path=path, stale_places={},
                         boot_check_left=False, lock={"action": action})
    try:
        record = lab_record.read_json(path)
    except ValueError as exc:
        fail("the lab record is unreadable (%s); move it away to start the lab's record anew" % exc)
    conflict = None
    # Teardown reads the record (state=present) before anything else, so this check guards it too.
    if params["state"] == "present":
        conflict = lab_record.instance_conflict(record, params["known_instance"], params["controller"])
        if conflict and not params["adopt"]:
            fail("%s; nothing was changed. Choose another lab.name, or take the lab over with "
                 "-e lab_adopt=true" % conflict)
    if params["state"] == "absent":
        # The firewall rules are the lab's by the record alone: forgetting it would orphan them. (In
        # check mode the firewall step before this one removed nothing, so nothing can be told.)
        if (record or {}).get("firewall") and not module.check_mode:
            if lock:  # the run ends here: its lock goes, the record stays
                lab_lock.release_and_tidy(directory, lock["run_id"])
            module.fail_json(msg="the record of lab %s still lists firewall rules the lab opened (%s), so it is "
                                 "kept: remove them first (the firewall step of teardown, not skipped)" % (
                                     params["lab"], "; ".join(lab_firewall.describe(r) for r in record["firewall"])))
        if record is not None and not module.check_mode:
            os.unlink(path)
            lab_record.remove_stale_temporaries(directory)
        released = {"lock": {"action": lab_lock.release_and_tidy(directory, lock["run_id"])}} if lock else {}
        module.exit_json(changed=record is not None, instance=None, bmc_ports={}, full=[], path=path, stale_places={},
                         boot_check_left=False, **released)
    if params["state"] == "cleaned":
        if record is None:
            module.exit_json(changed=False, instance=None, bmc_ports={}, full=[], path=path, stale_places={},
                             boot_check_left=True)
        new, changed = lab_record.forget_stale(record, params["cleaned"])
        if changed and not module.check_mode:
            lab_record.write_json_atomic(path, new)
        module.exit_json(changed=changed, instance=new["instance"], bmc_ports=new.get("bmc_ports", {}), full=[],
                         path=path, stale_places=new.get("stale_places", {}),
                         boot_check_left=lab_record.boot_check_left(new))

    recorded = (record or {}).get("bmc_ports") or {}
    ports, full = assign_bmc_ports(params["nodes"], params["port_start"], set(params["reserved_ports"]), recorded)
    try:
        new, changed = lab_record.updated_record(
            record, params["lab"], ports, params["places"], params["description"], params["controller"] or None)
    except ValueError as exc:
        fail("%s: %s" % (path, exc))
    if conflict:  # adopted: this controller is the lab's builder from now on
        new["controller"] = params["controller"] or None
        changed = True
        module.warn("took over lab %s: %s" % (params["lab"], conflict))
    if changed and not module.check_mode:
        lab_record.ensure_dir(directory)
        lab_record.remove_stale_temporaries(directory)
        lab_record.write_json_atomic(path, new)
    module.exit_json(changed=changed, instance=new["instance"] if record is not None or not module.check_mode else None,
                     bmc_ports=ports, full=full, path=path, stale_places=new.get("stale_places", {}),
                     boot_check_left=lab_record.boot_check_left(record),
                     **({"lock": held} if held else {}))


if __name__ == "__main__":
    main()
