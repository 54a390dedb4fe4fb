#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sushy_emulator
short_description: The Redfish BMC of a lab - one sushy-tools emulator for all its libvirt domains
version_added: "0.1.0"
description:
  - Runs one C(sushy-emulator) (sushy-tools) per lab, listening on one TCP port, serving the lab's
    libvirt domains as Redfish systems C(/redfish/v1/Systems/<domain name>) behind HTTP basic
    authentication, and then proves it by reading every system's power state through Redfish.
  - The emulator serves only the domains listed in I(systems), by name and by UUID
    (C(SUSHY_EMULATOR_ALLOWED_INSTANCES)); other domains on the virthost stay invisible to it.
  - Its configuration and password file live in I(config_dir)/<lab>/redfish, both mode 0600. The password
    file holds a bcrypt hash, kept as long as the password still matches, so a second run changes nothing.
  - The configuration's first lines are the lab's ownership mark (its name and I(instance)); a configuration
    without it, or with another instance's, is never overwritten or removed.
  - The files are rendered by C(module_utils/sushy_config), the daemon kept by C(module_utils/service),
    the systems read by C(module_utils/redfish).
  - A changed configuration or password restarts the emulator; so does a running emulator that was not
    started with the files as they are now (a run killed after writing them), which a stamp written
    after each start tells. Before starting, a port already
    served by another process is refused, and nothing is changed.
  - Under systemd it runs as the unit C(labkit-redfish-<lab>.service). Where PID 1 is not systemd
    (containers, CI runners) the module starts it as a detached process and keeps its pid in I(run_dir).
  - M(labkit.tripleo.redfish_systems_info) reads the systems of a running emulator.
  - Written for this collection because no collection manages sushy-tools, and the Redfish client
    modules of community.general (C(redfish_info), C(redfish_command)) always speak https and act on one
    system per call, while sushy-tools serves plain HTTP unless given a certificate.
options:
  password:
    description: Redfish password. Never logged; stored only as a bcrypt hash.
    type: str
  libvirt_uri:
    description: libvirt URI the emulator manages domains through.
    type: str
    default: qemu:///system
  command:
    description: The C(sushy-emulator) executable (in the virtualenv it was installed into).
    type: path
    default: sushy-emulator
  config_dir:
    description: Directory under which each lab gets C(<lab>/redfish).
    type: path
    default: /etc/labkit
  run_dir:
    description: Where the pid file goes when no systemd runs the emulator.
    type: path
    default: /run/labkit
  log_dir:
    description: Where the emulator's log goes when no systemd runs it (systemd keeps it in the journal).
    type: path
    default: /var/log/labkit
  supervisor:
    description:
      - What keeps the emulator running. C(auto) picks C(systemd) when PID 1 is systemd, else C(process).
    type: str
    choices: [auto, systemd, process]
    default: auto
  timeout:
    description: Seconds to wait for the emulator to answer after a start.
    type: int
    default: 30
  state:
    description: C(present) configures, runs and checks it; C(absent) stops it and removes its files.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - labkit.tripleo.redfish
  - labkit.tripleo.attributes
  - labkit.tripleo.owner
requirements:
  - bcrypt (python3-bcrypt) and the libvirt binding on the virthost
  - sushy-tools in the virtualenv of I(command)
author:
  - labkit.tripleo contributors (@labkit-tripleo)
"""

EXAMPLES = r"""
- name: Serve the lab's nodes over Redfish
  labkit.tripleo.sushy_emulator:
    lab: default
    systems: [default-control-1, default-compute-1]
    address: 127.0.0.1
    port: 8000
    username: admin
    password: "{{ lab_bmc_password }}"
    command: /opt/labkit/sushy/bin/sushy-emulator

- name: Stop it and remove its files
  labkit.tripleo.sushy_emulator:
    lab: default
    state: absent
"""

RETURN = r"""
action:
  description: What happened to the emulator.
  returned: always
  type: str
  sample: started
url:
  description: Base URL of the Redfish service.
  returned: always
  type: str
  sample: http://127.0.0.1:8000
supervisor:
  description: What runs the emulator, C(systemd) or C(process).
  returned: always
  type: str
changed_files:
  description: Files written this run (their content is never reported).
  returned: state=present
  type: list
  elements: str
systems:
  description: Each served system as Redfish reports it; empty in check mode when the emulator would be (re)started.
  returned: state=present
  type: list
  elements: dict
  sample:
    - {name: control-1, id: 4c4d6f1e-0000-4000-8000-000000000001, path: /redfish/v1/Systems/control-1, power_state: "Off"}
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.labkit.tripleo.plugins.module_utils import ownership, redfish, service
from ansible_collections.labkit.tripleo.plugins.module_utils import sushy_config


def read_systems(params):
    return redfish.read_systems(params["address"], params["port"], params["username"], params["password"],
                                params["systems"])


def wait_for_systems(module, params, supervisor, proc=None):
    # Only a process the module started itself can be seen dying; systemd restarts its own.
    systems, failures, died = redfish.wait_for_systems(
        params["address"], params["port"], params["username"], params["password"], params["systems"],
        params["timeout"], lambda: proc is not None and proc.poll() is not None)
    if failures:
        module.fail_json(msg="the Redfish emulator of lab %s %s; systems not answering: %s"
                         % (params["lab"], "exited" if died else "did not answer in %ds" % params["timeout"],
                            "; ".join(failures)),
                         log=supervisor.log_tail())
    return systems


def ensure_present(module, params):
    directory, config_path, auth_path = sushy_config.paths(params["config_dir"], params["lab"])
    supervisor = sushy_config.keeper(module, params, config_path)
    result = {"supervisor": supervisor.name, "url": redfish.base_url(params["address"], params["port"])}
    sushy_config.check_config_owner(module, params, config_path, service.read_text(config_path), result,
                                    "nothing was changed")
    allowed, missing = sushy_config.allowed_instances(module, params)
    if missing and not module.check_mode:
        module.fail_json(msg="no libvirt domain for %s: the emulator would have nothing to serve for them"
                         % ", ".join(missing), **result)
    wanted = sushy_config.wanted_files(params, config_path, auth_path, allowed)
    changed_files = [path for path, text in sorted(wanted.items()) if service.read_text(path) != text]
    running = supervisor.running()
    unit_changed = supervisor.definition_changed()
    stamp_path = os.path.join(directory, sushy_config.STARTED_STAMP)
    started_with = sushy_config.started_digest(wanted)
    action = sushy_config.start_action(running, bool(changed_files) or unit_changed,
                                       lambda: service.read_text(stamp_path) == started_with)
    if action == "started" and redfish.port_answers(params["address"], params["port"]):
        module.fail_json(msg="%s:%d is already served by another process; nothing was changed. "
                             "Choose another lab.bmc.port." % (params["address"], params["port"]), **result)
    result.update(action=action, changed_files=changed_files)
    if module.check_mode:
        # A (re)started emulator cannot be asked yet; a running one can.
        result["systems"] = read_systems(params)[0] if action == "unchanged" else []
        return result

    sushy_config.make_private_dir(directory)
    for path in changed_files:
        service.write_private(path, wanted[path])
    proc = sushy_config.restart(supervisor, stamp_path) if action != "unchanged" else None
    result["systems"] = wait_for_systems(module, params, supervisor, proc)
    if action != "unchanged":
        service.write_private(stamp_path, started_with)
    return result


def ensure_absent(module, params):
    directory, config_path, _auth_path = sushy_config.paths(params["config_dir"], params["lab"])
    result = {"url": redfish.base_url(params["address"], params["port"]), "action": "unchanged"}
    supervisors = sushy_config.former_keepers(module, params, config_path)
    config = service.read_text(config_path)
    sushy_config.check_config_owner(module, params, config_path, config, result, "left alone")
    present = [s for s in supervisors if s.installed() or s.running()]
    result["supervisor"] = present[0].name if present else None
    if config is None and not present:
        return result
    result["action"] = "removed"
    if not module.check_mode:
        for supervisor in present:
            supervisor.remove()
        sushy_config.remove_dir(directory, (params["config_dir"], params["run_dir"], params["log_dir"]))
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            ownership.OWNER_ARGS,
            password=dict(type="str", no_log=True),
            libvirt_uri=dict(type="str", default="qemu:///system"),
            command=dict(type="path", default="sushy-emulator"),
            config_dir=dict(type="path", default="/etc/labkit"),
            run_dir=dict(type="path", default="/run/labkit"),
            log_dir=dict(type="path", default="/var/log/labkit"),
            supervisor=dict(type="str", choices=["auto", "systemd", "process"], default="auto"),
            timeout=dict(type="int", default=30),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            **redfish.SERVICE_ARGS
        ),
        required_if=[("state", "present", ("password",))],
        supports_check_mode=True,
    )
    params = module.params
    state = params["state"]
    if state == "absent":
        result = ensure_absent(module, params)
        module.exit_json(changed=result["action"] != "unchanged", **result)
    if sushy_config.bcrypt is None:
        module.fail_json(msg="the bcrypt Python library is missing on the virthost (python3-bcrypt)",
                         exception=sushy_config.BCRYPT_IMPORT_ERROR)
    if not os.path.isfile(params["command"]) and not module.check_mode:
        module.fail_json(msg="%s does not exist: install sushy-tools first" % params["command"])
    result = ensure_present(module, params)
    module.exit_json(changed=result["action"] != "unchanged" or bool(result["changed_files"]), **result)


if __name__ == "__main__":
    main()
