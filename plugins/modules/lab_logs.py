#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: lab_logs
short_description: Gather a lab's logs on its virthost into one archive, secrets scrubbed
version_added: "0.2.0"
description:
  - Writes I(dest), a gzip tar (mode 0600) holding under C(logs/) each VM's serial console log and
    libvirt's qemu log, each of the lab's domains' live XML and the network's, C(ovs-vsctl show),
    the bridge's ports and flows (C(ovs-ofctl dump-flows)), the BMCs' state (C(vbmc list)) or the
    Redfish emulator's log, and firewalld's zones. Every text has each of I(secrets) replaced by
    C(********) before it is written.
  - Reads only the lab's own domains (by their mark); what cannot be read (a domain not
    defined, a daemon not running) is noted in C(logs/missing.txt) instead of failing, since logs
    are gathered most when something is broken.
  - Changes nothing on the lab; it runs in check mode too (the archive is a report).
  - Written for this collection because gathering a lab's state is a dozen commands whose
    outputs must all be scrubbed of the BMC password before they leave the host.
options:
  vms:
    description: The lab's VMs, each with C(name) and C(console_log).
    type: list
    elements: dict
    required: true
  network:
    description: The lab's libvirt network.
    type: str
    required: true
  bridge:
    description: The lab's Open vSwitch bridge.
    type: str
    required: true
  vbmc:
    description: VirtualBMC's C(vbmc) command (IPMI labs).
    type: path
  redfish_log:
    description: The Redfish emulator's log file (Redfish labs run without systemd).
    type: path
  qemu_log_dir:
    description: Where libvirt writes each domain's qemu log.
    type: path
    default: /var/log/libvirt/qemu
  secrets:
    description: Texts never to write (the BMC password).
    type: list
    elements: str
    default: []
  dest:
    description: The archive to write on the virthost.
    type: path
    required: true
extends_documentation_fragment:
  - labkit.tripleo.libvirt
  - labkit.tripleo.attributes
  - labkit.tripleo.owner
author:
  - labkit.tripleo contributors (@labkit-tripleo)
"""

EXAMPLES = r"""
- name: Gather the lab's logs
  labkit.tripleo.lab_logs:
    lab: mylab
    vms: "{{ lab_model.vms }}"
    network: ovs-network-1
    bridge: ovs-br1
    vbmc: /opt/labkit/vbmc/bin/vbmc
    secrets: ["{{ lab_bmc_password }}"]
    dest: /var/tmp/labkit-mylab-logs.tar.gz
"""

RETURN = r"""
files:
  description: The files in the archive, relative to its C(logs/) directory.
  returned: always
  type: list
  elements: str
missing:
  description: What could not be read, and why.
  returned: always
  type: list
  elements: str
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.labkit.tripleo.plugins.module_utils import libvirt_conn, ownership
from ansible_collections.labkit.tripleo.plugins.module_utils.lab_logs import Archive, host_commands, read_log, safe_name
from ansible_collections.labkit.tripleo.plugins.module_utils.libvirt_xml import mark_of


def read_file(path, missing, what):
    text = read_log(path)
    if text is None:
        missing.append("%s: %s does not exist" % (what, path))
    return text


def collect_libvirt(module, params, archive, missing):
    conn = libvirt_conn.connect(module, params["uri"])
    for vm in params["vms"]:
        dom = libvirt_conn.lookup(conn.lookupByName, vm["name"])
        if dom is None:
            missing.append("domain %s: not defined" % vm["name"])
            continue
        if ownership.verdict(mark_of(libvirt_conn.inactive_xml(dom)), params) == ownership.FOREIGN:
            missing.append("domain %s: not the lab's, not read" % vm["name"])
            continue
        archive.add("domains/%s.xml" % safe_name(vm["name"]), dom.XMLDesc(0))
    net = libvirt_conn.lookup(conn.networkLookupByName, params["network"])
    if net is None or ownership.verdict(mark_of(net.XMLDesc(0)), params) == ownership.FOREIGN:
        missing.append("network %s: not defined, or not the lab's" % params["network"])
    else:
        archive.add("network/%s.xml" % safe_name(params["network"]), net.XMLDesc(0))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            ownership.OWNER_ARGS,
            uri=libvirt_conn.URI_OPTION,
            vms=dict(type="list", elements="dict", required=True),
            network=dict(type="str", required=True),
            bridge=dict(type="str", required=True),
            vbmc=dict(type="path"),
            redfish_log=dict(type="path"),
            qemu_log_dir=dict(type="path", default="/var/log/libvirt/qemu"),
            secrets=dict(type="list", elements="str", default=[], no_log=True),
            dest=dict(type="path", required=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    archive, missing = Archive(params["secrets"]), []
    for vm in params["vms"]:
        name = safe_name(vm["name"])
        for path, what in ((vm.get("console_log"), "consoles/%s.log" % name),
                           (os.path.join(params["qemu_log_dir"], "%s.log" % vm["name"]), "qemu/%s.log" % name)):
            text = read_file(path, missing, what)
            if text is not None:
                archive.add(what, text)
    collect_libvirt(module, params, archive, missing)
    vbmc = params["vbmc"] if params["vbmc"] and os.path.exists(params["vbmc"]) else None
    for path, argv in host_commands(params["bridge"], vbmc, module.get_bin_path("firewall-cmd")):
        rc, out, err = module.run_command(argv)
        archive.add(path, out if rc == 0 else "rc %d\n%s%s" % (rc, out, err))
    if params["redfish_log"]:
        text = read_file(params["redfish_log"], missing, "bmc/redfish.log")
        if text is not None:
            archive.add("bmc/redfish.log", text)
    archive.add_missing("missing.txt", missing)
    archive.write(params["dest"])
    module.exit_json(changed=False, files=sorted(archive.members), missing=missing, dest=params["dest"])


if __name__ == "__main__":
    main()
