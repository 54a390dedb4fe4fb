#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: lab_lock
short_description: One run at a time per lab on a virthost
version_added: "0.2.0"
description:
  - Takes C(<dir>/<lab>/lock.json) for the run I(run_id) (created with O_EXCL, mode 0600), so a
    second run of the same lab fails at once, naming the run that holds the lock (its pid,
    host, user, start time and command line).
  - The holder is the run's ansible-playbook process when the controller is the virthost, or
    its SSH session otherwise; when that process has ended (a run killed with SIGKILL leaves
    its lock behind), the next run takes the lock over and says so.
  - Taking a lock this run already holds changes nothing, so every play may ask for it.
  - The lock is bookkeeping, not part of the lab, so the module never reports C(changed) and
    works in check mode too (a check run must not race a real one either).
options:
  run_id:
    description: Identifies this run (made once on the controller).
    type: str
    required: true
  user:
    description: Who runs it (reported to a second run).
    type: str
    default: ""
  break_lock:
    description: Take the lock even though its holder looks alive (when you know it is not, e.g. a controller that died over SSH with ControlPersist).
    type: bool
    default: false
  state:
    description: C(present) takes the lock; C(absent) releases it if this run holds it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - labkit.tripleo.lab_dir
attributes:
  check_mode:
    description: Takes and releases the lock in check mode as well; it is not part of the lab.
    support: full
  diff_mode:
    description: Has no diff mode.
    support: none
author:
  - labkit.tripleo contributors (@labkit-tripleo)
"""

EXAMPLES = r"""
- name: Take the lab's lock
  labkit.tripleo.lab_lock:
    lab: mylab
    run_id: "20261122T101500-123456"

- name: Release it
  labkit.tripleo.lab_lock:
    lab: mylab
    run_id: "20261122T101500-123456"
    state: absent
"""

RETURN = r"""
action:
  description: C(acquired), C(held) (by this run already), C(taken over) (from a dead run), C(released) or C(not held).
  returned: always
  type: str
previous:
  description: The dead run whose lock was taken over.
  returned: when action is taken over
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.labkit.tripleo.plugins.module_utils import lab_lock, lab_record


def main():
    module = AnsibleModule(
        argument_spec=dict(
            lab_record.LAB_DIR_ARGS,
            state=dict(type="str", choices=["present", "absent"], default="present"),
            **lab_lock.LOCK_OPTIONS
        ),
        supports_check_mode=True,
    )
    params = module.params
    directory = lab_record.lab_dir(params["dir"], params["lab"])
    if params["state"] == "absent":
        module.exit_json(changed=False, action=lab_lock.release_and_tidy(directory, params["run_id"]))
    result = lab_lock.take_or_fail(module, directory, params["lab"], params["run_id"], params["user"],
                                   params["break_lock"])
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
