#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: vbmcd
short_description: VirtualBMC's daemon kept running, and proven to answer
version_added: "0.2.0"
description:
  - Where systemd is PID 1 and I(manage) is true, keeps C(vbmcd) as the unit C(vbmcd.service)
    (written, enabled, started; restarted only when the unit changes), through the same
    service keeper as the Redfish emulator.
  - Then asks vbmcd for its BMCs (C(vbmc list)) and fails, saying how to start it, when it does
    not answer, so that the BMC phase never finds it down after the domains are defined.
  - Without systemd the lab does not run vbmcd (C(scripts/start-daemons) does on a test
    machine); the module only checks that it answers.
  - Written for this collection so that every daemon of the lab is kept one way
    (C(module_utils/service.py)).
options:
  lab:
    description: The lab whose run needs vbmcd (named in the error).
    type: str
    required: true
  host:
    description: The virthost's name as the inventory knows it (named in the error).
    type: str
    default: the virthost
  venv:
    description: The virtualenv VirtualBMC is installed in.
    type: path
    required: true
  manage:
    description: Run vbmcd as a systemd unit where systemd is PID 1.
    type: bool
    default: true
  unit_dir:
    description: Where the unit file is written.
    type: path
    default: /etc/systemd/system
extends_documentation_fragment:
  - labkit.tripleo.attributes
notes:
  - In check mode, when VirtualBMC is not installed yet, the answer is not checked (there is
    nothing to ask), and the result says so.
author:
  - labkit.tripleo contributors (@labkit-tripleo)
"""

EXAMPLES = r"""
- name: Keep vbmcd running
  labkit.tripleo.vbmcd:
    lab: mylab
    venv: /opt/labkit/vbmc
"""

RETURN = r"""
keeper:
  description: C(systemd) when the module keeps vbmcd as a unit, C(none) otherwise.
  returned: always
  type: str
answers:
  description: Whether vbmcd answered (null when it could not be asked in check mode).
  returned: always
  type: bool
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.labkit.tripleo.plugins.module_utils import service, vbmc


def how_to_start(systemd):
    return "systemctl start vbmcd" if systemd else "scripts/start-daemons"


def main():
    module = AnsibleModule(
        argument_spec=dict(
            venv=dict(type="path", required=True),
            manage=dict(type="bool", default=True),
            unit_dir=dict(type="path", default="/etc/systemd/system"),
            lab=dict(type="str", required=True),
            host=dict(type="str", default="the virthost"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    systemd = service.systemd_is_init()
    changed = False
    keeper = "none"
    if systemd and params["manage"]:
        keeper = "systemd"
        unit = service.SystemdUnit(module, vbmc.VBMCD_UNIT, vbmc.vbmcd_unit_text(params["venv"]),
                                   unit_dir=params["unit_dir"])
        if module.check_mode:
            changed = unit.definition_changed() or not unit.running()
        else:
            changed = unit.ensure_running()
    client = os.path.join(params["venv"], "bin", "vbmc")
    if module.check_mode and (changed or not os.path.exists(client)):
        module.exit_json(changed=changed, keeper=keeper, answers=None,
                         msg="check mode: vbmcd would be started first, or VirtualBMC is not installed yet; "
                             "vbmcd was not asked")
    rc, out, err = module.run_command([client, "list"])
    if rc != 0:
        lines = (err or out).strip().splitlines()
        module.fail_json(msg="vbmcd does not answer on %s (%s): the lab's IPMI BMCs need it, and nothing of "
                             "lab %s was changed. Start it (%s) and run again."
                         % (params["host"], lines[-1] if lines else "rc %d" % rc, params["lab"], how_to_start(systemd)),
                         changed=changed, keeper=keeper, answers=False)
    module.exit_json(changed=changed, keeper=keeper, answers=True)


if __name__ == "__main__":
    main()
