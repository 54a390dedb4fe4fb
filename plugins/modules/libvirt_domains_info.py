#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: libvirt_domains_info
short_description: The lab's VMs as libvirt has them, read in one call
version_added: "0.3.0"
description:
  - What users know as C(virsh domiflist) and C(virsh domstate), for the listed VMs of a lab at
    once, through libvirt-python. Changes nothing.
  - Fails naming each VM whose domain is missing or carries another lab's mark, so a phase that
    needs the lab's real MACs (instackenv.json, the summary) stops before it writes anything.
  - Later phases read the domains here, not from the domains phase's result, so each phase's tag
    runs alone.
options:
  vms:
    description:
      - The VMs to read, as the lab model lists them; C(name) and C(nics) (C(portgroup), C(mac))
        are used, other keys ignored.
    type: list
    elements: dict
    default: []
  network:
    description:
      - The libvirt network the lab's NICs are on; a NIC libvirt reports only as a bridge port (after
        VirtualBMC redefined the domain from its live XML) gets its portgroup from I(vms) by MAC.
    type: str
  missing_ok:
    description:
      - List a VM whose domain is not defined in RV(missing) instead of failing. A check run needs
        this, since the domains phase before it only said what it would define.
      - A domain of another lab still fails the call.
    type: bool
    default: false
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
- name: Read the real MACs of the overcloud nodes
  labkit.tripleo.libvirt_domains_info:
    lab: "{{ lab_model.name }}"
    instance: "{{ lab_model.instance }}"
    vms: "{{ lab_model.nodes }}"
  register: nodes_in_libvirt
"""

RETURN = r"""
missing:
  description: The listed VMs whose domain is not defined (only with I(missing_ok)).
  returned: success
  type: list
  elements: str
  sample: [compute-2]
domains:
  description: One entry per listed VM, in the order given.
  returned: success
  type: list
  elements: dict
  sample:
    - name: control-1
      active: false
      console_log: /var/log/labkit/mylab/control-1.log
      nics:
        - {portgroup: access-100, mac: "52:54:00:5e:00:01", provisioning: true}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.labkit.tripleo.plugins.module_utils import libvirt_conn, ownership


def main():
    module = AnsibleModule(
        argument_spec=dict(
            ownership.OWNER_ARGS,
            uri=libvirt_conn.URI_OPTION,
            vms=dict(type="list", elements="dict", default=[]),
            network=dict(type="str"),
            missing_ok=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    conn = libvirt_conn.connect(module, params["uri"])
    try:
        domains, missing, foreign = libvirt_conn.read_domains(conn, params["vms"], params, params["network"])
    except libvirt_conn.libvirt.libvirtError as exc:
        module.fail_json(msg="libvirt error: %s" % exc)
    problems = foreign if params["missing_ok"] else foreign + ["%s (not defined)" % name for name in missing]
    if problems:
        module.fail_json(msg="domains of lab %r not found as expected: %s. Build the host side first (site.yml)."
                         % (params["lab"], ", ".join(problems)))
    module.exit_json(changed=False, domains=domains, missing=missing)


if __name__ == "__main__":
    main()
