#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: boot_check
short_description: Prove that every overcloud node network-boots on its provisioning NIC
version_added: "0.2.0"
description:
  - Before the undercloud exists, does what it will do to every node, for all nodes at once.
    It starts a throwaway DHCP/TFTP/HTTP responder (dnsmasq and a small HTTP server) in a network
    namespace wired to the lab's Open vSwitch bridge on the provisioning VLAN; each node's boot
    device set to network and the node powered on I(through its BMC) (IPMI or Redfish, the path
    Ironic takes). Then it watches each node's expected MAC ask DHCP for an address, fetch the
    boot file (the iPXE script over HTTP, or C(undionly.kpxe) over TFTP for a PXE ROM that is not
    iPXE) and run that script, which fetches a URL naming the node's MAC. Then every node is
    powered off through its BMC and the responder, the namespace and its OVS port are removed.
  - dnsmasq answers the lab's MACs only. The provisioning addresses exist only inside the
    namespace and on the VMs, never on the virthost's own interfaces.
  - Refuses to run, before powering anything on, when another DHCP server answers on the VLAN
    (an undercloud is up), when a node is already powered on (the check would cut it off), when
    a BMC does not answer, or when the namespace or port exists and is not the lab's.
  - Returns a row per node (DHCP seen, boot file fetched, boot script ran, seconds from power-on)
    and, for a node that did not boot, the last lines of its serial console log. A node that
    fails does not fail the module, its caller decides (the C(boot_check) role fails naming
    such nodes).
  - Leaves the host as it found it, so it reports C(changed=false). In check mode it runs the
    checks that change nothing (bridge, namespace, BMCs answering, nodes off) and boots nothing.
  - With I(state=absent) (teardown), removes what a check killed half-way left, the lab's
    namespace, the processes still in it (dnsmasq, the HTTP server), its marked OVS port and
    its working directory; only I(lab) is needed.
  - Before its namespace exists, a check claims the lab's record (C(boot_check) in
    C(<dir>/<lab>/state.json)); the claim goes once the check cleaned up, or once I(state=absent)
    removed what a killed check left. M(labkit.tripleo.lab_record) reports a claim left over, so
    teardown calls this module only then.
  - Written for this collection because no module offers a PXE responder in a namespace, and
    C(community.general.ipmi_boot) or C(community.general.redfish_command) do one node per call.
options:
  lab:
    description: Name of the lab; marks the OVS port and names the namespace.
    type: str
    required: true
  dir:
    description: Directory of the lab records, where the check claims the lab's record (no claim without a record).
    type: path
    default: /var/lib/labkit
  bridge:
    description: The lab's Open vSwitch bridge.
    type: str
  vlan:
    description: The provisioning VLAN (the access VLAN of the provisioning portgroup).
    type: int
  address:
    description: The responder's address with prefix length (the undercloud's C(local_ip)).
    type: str
  pool_start:
    description: First address handed to nodes.
    type: str
  pool_end:
    description: Last address handed to nodes.
    type: str
  nodes:
    description:
      - Every node to boot, with C(name), C(mac) (its provisioning MAC), C(console_log) and
        C(bmc) (C(type) C(ipmi) or C(redfish), C(address), C(port)). Redfish systems are addressed
        by node name.
    type: list
    elements: dict
  username:
    description: BMC user.
    type: str
  password:
    description: BMC password.
    type: str
  timeout:
    description: Seconds every node together has to run its boot script after power-on.
    type: int
    default: 300
  probe_seconds:
    description:
      - Seconds to listen for an answer from another DHCP server before starting. dnsmasq, what
        an undercloud runs, pings an address for up to 3 s before it offers it.
    type: int
    default: 6
  pxe_file:
    description:
      - The iPXE image served over TFTP to a PXE ROM that is not iPXE. When missing, such a ROM
        gets no boot file (qemu's own NIC ROMs run iPXE already).
    type: path
    default: /usr/lib/ipxe/undionly.kpxe
  work_dir:
    description: Where the responder keeps its logs and leases while it runs; removed afterwards.
    type: path
    default: /run/labkit/boot-check
  state:
    description:
      - C(present) runs the check (every option above is then required); C(absent) removes what a
        killed check left.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - labkit.tripleo.attributes
requirements:
  - dnsmasq, ip (iproute2), ovs-vsctl and ipmitool on the virthost
author:
  - labkit.tripleo contributors (@labkit-tripleo)
"""

EXAMPLES = r"""
- name: Network-boot every node through its BMC
  labkit.tripleo.boot_check:
    lab: "{{ lab_model.name }}"
    bridge: "{{ lab_model.network.bridge }}"
    vlan: 100
    address: 192.168.24.1/24
    pool_start: 192.168.24.100
    pool_end: 192.168.24.120
    nodes:
      - name: control-1
        mac: "52:54:1a:2b:01:00"
        console_log: /var/log/libvirt/qemu/control-1-console.log
        bmc: {type: ipmi, address: 127.0.0.1, port: 7001}
    username: admin
    password: "{{ bmc_password }}"
  register: boot_check
"""

RETURN = r"""
removed:
  description: With I(state=absent), what a killed check had left and was removed.
  returned: state=absent
  type: list
  elements: str
ok:
  description: Whether every node ran its boot script.
  returned: success
  type: bool
seconds:
  description: Wall time of the whole check.
  returned: success
  type: float
nodes:
  description: One row per node, in the order given.
  returned: success
  type: list
  elements: dict
  sample:
    - name: control-1
      mac: "52:54:1a:2b:01:00"
      address: 192.168.24.101
      dhcp_seen: true
      dhcp_seconds: 12.5
      boot_file_fetched: true
      boot_file_seconds: 14.0
      boot_script_ran: true
      seconds: 14.5
      ok: true
      error: null
      console_tail: []
"""

import os
import re
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.labkit.tripleo.plugins.module_utils import lab_record, pxe_responder as pxe
from ansible_collections.labkit.tripleo.plugins.module_utils.boot_check_run import (
    lab_namespace, preflight, remove_leftovers, run_check)

MAC_RE = re.compile(r"([0-9a-f]{2}:){5}[0-9a-f]{2}\Z")
# The lab name becomes a namespace name, a directory and an OVS mark.
LAB_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,31}\Z")


def claim_record(params, claim):
    """Claim the lab's record for a check (``claim``) or give the claim back (None). Without a
    record there is nothing to claim: teardown then looks for leftovers anyway."""
    try:
        lab_record.set_record_key(params["dir"], params["lab"], lab_record.BOOT_CHECK_KEY, claim)
    except ValueError:
        pass


def main():
    module = AnsibleModule(
        argument_spec=dict(
            lab=dict(type="str", required=True),
            dir=dict(type="path", default="/var/lib/labkit"),
            bridge=dict(type="str"),
            vlan=dict(type="int"),
            address=dict(type="str"),
            pool_start=dict(type="str"),
            pool_end=dict(type="str"),
            nodes=dict(type="list", elements="dict"),
            username=dict(type="str"),
            password=dict(type="str", no_log=True),
            timeout=dict(type="int", default=300),
            probe_seconds=dict(type="int", default=6),
            pxe_file=dict(type="path", default="/usr/lib/ipxe/undionly.kpxe"),
            work_dir=dict(type="path", default="/run/labkit/boot-check"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_if=[("state", "present", ("bridge", "vlan", "address", "pool_start", "pool_end", "nodes",
                                           "username", "password"))],
        supports_check_mode=True,
    )
    params = module.params
    if not LAB_RE.match(params["lab"]):
        module.fail_json(msg="boot check: %r is not a lab name" % params["lab"])
    if params["state"] == "absent":
        result = remove_leftovers(module, params)
        if not module.check_mode:
            claim_record(params, None)
        module.exit_json(**result)
    try:
        address, netmask = pxe.responder_addresses(params["address"], params["pool_start"], params["pool_end"])
    except ValueError as exc:
        module.fail_json(msg="boot check addresses: %s" % exc)
    # MACs reach dnsmasq's command line, where a comma would add options.
    bad = [n.get("name") for n in params["nodes"] if not MAC_RE.match(str(n.get("mac", "")).lower())]
    if bad:
        module.fail_json(msg="boot check: nodes without a valid MAC address: %s" % ", ".join(map(str, bad)))
    params["work_dir"] = os.path.join(params["work_dir"], params["lab"])
    space = lab_namespace(module, params["lab"], params["bridge"], params["vlan"])
    problems = preflight(module, params, space)
    if problems:
        module.fail_json(msg="the boot check of lab %s cannot run, nothing was changed: %s"
                         % (params["lab"], "; ".join(problems)))
    if module.check_mode:
        module.exit_json(changed=False, ok=None, seconds=0.0, nodes=[],
                         msg="check mode: %d nodes would be network-booted" % len(params["nodes"]))
    # A check killed from here on leaves its claim, so teardown looks for what it left.
    claim_record(params, {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "pid": os.getpid()})
    rows, seconds = run_check(module, params, space, address.split("/")[0], netmask, address)
    claim_record(params, None)
    module.exit_json(changed=False, ok=all(r["ok"] for r in rows), seconds=seconds, nodes=rows)


if __name__ == "__main__":
    main()
