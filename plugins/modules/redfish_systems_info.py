#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: redfish_systems_info
short_description: Every listed system answers a Redfish BMC, read in one call
version_added: "0.3.0"
description:
  - Reads C(/redfish/v1/Systems/<name>) of each listed system (its Id and power state) from the
    lab's Redfish emulator; changes nothing.
  - Fails naming each system that does not answer, with the URL asked and why.
  - In check mode a system that does not answer is listed in RV(unverified) with a warning instead, because
    the BMC phase of the same check run changed nothing, and a real run starts or reconfigures the
    emulator (a new password, a new system) before this is asked.
  - Written for this collection because C(community.general.redfish_info) always speaks https and
    reads one system per call, while the lab's sushy-tools emulator serves plain HTTP unless given a
    certificate.
options:
  password:
    description: Redfish password. Never logged.
    type: str
    required: true
extends_documentation_fragment:
  - labkit.tripleo.redfish
  - labkit.tripleo.attributes
author:
  - labkit.tripleo contributors (@labkit-tripleo)
"""

EXAMPLES = r"""
- name: Every node answers through Redfish
  labkit.tripleo.redfish_systems_info:
    systems: [default-control-1, default-compute-1]
    port: 8000
    password: "{{ lab_bmc_password }}"
"""

RETURN = r"""
url:
  description: Base URL of the Redfish service.
  returned: always
  type: str
  sample: http://127.0.0.1:8000
systems:
  description: Each system that answered, as Redfish reports it.
  returned: always
  type: list
  elements: dict
  sample:
    - {name: control-1, id: 4c4d6f1e-0000-4000-8000-000000000001, path: /redfish/v1/Systems/control-1, power_state: "Off"}
unverified:
  description: In check mode, each system that did not answer, with the URL asked and why.
  returned: always
  type: list
  elements: str
  sample: ["control-1 (http://127.0.0.1:8000/redfish/v1/Systems/control-1): Unauthorized"]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.labkit.tripleo.plugins.module_utils import redfish


def main():
    module = AnsibleModule(
        argument_spec=dict(
            redfish.SERVICE_ARGS,
            password=dict(type="str", required=True, no_log=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    url = redfish.base_url(params["address"], params["port"])
    systems, failures = redfish.read_systems(params["address"], params["port"], params["username"],
                                             params["password"], params["systems"])
    if failures:
        if not module.check_mode:
            module.fail_json(msg="Redfish systems not answering: %s" % "; ".join(failures), systems=systems, url=url)
        module.warn("Not verified in check mode (a real run sets up the emulator first): %s" % "; ".join(failures))
    module.exit_json(changed=False, systems=systems, url=url, unverified=failures)


if __name__ == "__main__":
    main()
