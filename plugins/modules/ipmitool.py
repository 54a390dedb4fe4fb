#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ipmitool
short_description: Power state and boot device of many BMCs through ipmitool
version_added: "0.1.0"
description:
  - Runs C(ipmitool -I lanplus ... power status) against every listed BMC (in parallel) and
    fails, naming each one, when any does not answer - the lab's proof that its BMCs work.
  - With I(power), switches BMCs whose power state differs and waits until they report it.
    With I(bootdev), sets the boot device where it differs. In check mode, only reads.
  - The password goes to ipmitool through the C(IPMI_PASSWORD) environment variable (C(-E)),
    never on the command line.
  - Written for this collection because C(community.general.ipmi_power) handles one BMC per
    call (a task loop per node) and uses pyghmi rather than the ipmitool that users and the
    undercloud's Ironic use.
options:
  bmcs:
    description: BMCs, each with C(name), C(address) and C(port).
    type: list
    elements: dict
    required: true
  username:
    description: IPMI user name.
    type: str
    required: true
  password:
    description: IPMI password. Never logged.
    type: str
    required: true
  power:
    description: Wanted power state; unset only reads it.
    type: str
    choices: ["on", "off"]
  bootdev:
    description: Wanted boot device; unset leaves it alone.
    type: str
    choices: [pxe, disk]
  interface:
    description: ipmitool interface.
    type: str
    default: lanplus
  retries:
    description: ipmitool retries per command (C(-R)).
    type: int
    default: 3
  timeout:
    description: ipmitool timeout per try in seconds (C(-N)).
    type: int
    default: 2
  wait:
    description: Seconds to wait for a power change to show in C(power status).
    type: int
    default: 30
  ipmitool:
    description: The ipmitool command.
    type: path
    default: ipmitool
extends_documentation_fragment:
  - labkit.tripleo.attributes
author:
  - labkit.tripleo contributors (@labkit-tripleo)
"""

EXAMPLES = r"""
- name: Every BMC answers
  labkit.tripleo.ipmitool:
    bmcs:
      - {name: control-1, address: 127.0.0.1, port: 7001}
    username: admin
    password: "{{ lab_bmc_password }}"

- name: Power a node on
  labkit.tripleo.ipmitool:
    bmcs: [{name: control-1, address: 127.0.0.1, port: 7001}]
    username: admin
    password: "{{ lab_bmc_password }}"
    power: "on"
"""

RETURN = r"""
bmcs:
  description: State of each BMC after the run.
  returned: always
  type: list
  elements: dict
  sample:
    - {name: control-1, address: 127.0.0.1, port: 7001, power: "off", bootdev: null, changed: false}
"""

from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.labkit.tripleo.plugins.module_utils import ipmitool as ipmi

PARALLEL = 8


def converge(params, check_mode, bmc):
    node = ipmi.Bmc(params, bmc)
    result = {"name": bmc["name"], "address": bmc["address"], "port": bmc["port"], "changed": False,
              "bootdev": None, "error": None}
    try:
        result["power"] = node.power()
        if params["bootdev"]:
            result["bootdev"] = node.bootdev()
            if result["bootdev"] != params["bootdev"]:
                result["changed"] = True
                if not check_mode:
                    node.run("chassis", "bootdev", params["bootdev"])
                result["bootdev"] = params["bootdev"]
        if params["power"] and result["power"] != params["power"]:
            result["changed"] = True
            if not check_mode:
                node.set_power(params["power"], params["wait"])
            result["power"] = params["power"]
    except (ipmi.BmcError, ValueError) as exc:
        result["error"] = str(exc)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            bmcs=dict(type="list", elements="dict", required=True),
            username=dict(type="str", required=True),
            password=dict(type="str", required=True, no_log=True),
            power=dict(type="str", choices=["on", "off"]),
            bootdev=dict(type="str", choices=["pxe", "disk"]),
            interface=dict(type="str", default="lanplus"),
            retries=dict(type="int", default=3),
            timeout=dict(type="int", default=2),
            wait=dict(type="int", default=30),
            ipmitool=dict(type="path", default="ipmitool"),
        ),
        supports_check_mode=True,
    )
    for index, bmc in enumerate(module.params["bmcs"]):
        if not all(bmc.get(key) for key in ("name", "address", "port")):
            module.fail_json(msg="bmcs[%d] needs 'name', 'address' and 'port'" % index)
    module.params["ipmitool"] = module.get_bin_path(module.params["ipmitool"], required=True)
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        results = list(pool.map(lambda b: converge(module.params, module.check_mode, b), module.params["bmcs"]))
    failed = [r for r in results if r["error"]]
    changed = any(r["changed"] for r in results)
    if failed:
        module.fail_json(msg="%d of %d BMCs did not answer: %s" % (
            len(failed), len(results), "; ".join("%s (%s)" % (r["name"], r["error"]) for r in failed)),
            bmcs=results, changed=changed)
    module.exit_json(changed=changed, bmcs=results)


if __name__ == "__main__":
    main()
