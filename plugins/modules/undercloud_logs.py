#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: undercloud_logs
short_description: Gather what the undercloud knows of a lab into one archive, secrets scrubbed
version_added: "0.3.0"
description:
  - Writes I(dest), a gzip tar (mode 0600) holding under C(logs/undercloud/) what Ironic says of
    each of the lab's nodes (C(ironic-nodes.json), and C(ironic-nodes.txt) with one line per node
    and its last error), the logs the TripleO phases leave in the lab's directory (the undercloud
    install, node import and overcloud deploy logs, each with the one before it) and
    C(undercloud.conf).
  - Every text has each of I(secrets), the rc file's C(OS_PASSWORD) and every value of the
    undercloud's passwords file replaced by C(********) before it is written.
  - What cannot be read (Ironic not answering, a phase that never ran) is noted in
    C(logs/undercloud/missing.txt) instead of failing, since logs are gathered most when something
    is broken.
  - Changes nothing; it runs in check mode too (the archive is a report).
  - Written for this collection because the undercloud's state is spread over Ironic and a
    handful of files that must all be scrubbed of the undercloud and BMC passwords before they
    leave the host.
options:
  nodes:
    description: Names of the lab's nodes, in the lab's order.
    type: list
    elements: str
    required: true
  workdir:
    description: The lab's directory on the undercloud (C(lab.tripleo.workdir)), where the logs are.
    type: path
    required: true
  stack_home:
    description: The stack user's home, which holds C(undercloud.conf) and the passwords file.
    type: path
    required: true
  secrets:
    description: Other values to scrub from every text (the BMC password). Never logged.
    type: list
    elements: str
    default: []
  dest:
    description: Where to write the archive on the undercloud.
    type: path
    required: true
extends_documentation_fragment:
  - labkit.tripleo.openstack_cli
  - labkit.tripleo.attributes
author:
  - labkit.tripleo contributors (@labkit-tripleo)
"""

EXAMPLES = r"""
- name: Gather the undercloud's logs of the lab
  labkit.tripleo.undercloud_logs:
    nodes: [default-control-1, default-compute-1]
    workdir: /home/stack/labkit-default
    stack_home: /home/stack
    rc_file: /home/stack/stackrc
    secrets: ["{{ lab_bmc_password }}"]
    dest: /var/tmp/labkit-default-undercloud-logs.tar.gz
"""

RETURN = r"""
dest:
  description: The archive written.
  returned: always
  type: str
files:
  description: Each file in the archive, under C(logs/).
  returned: always
  type: list
  elements: str
  sample: [undercloud/ironic-nodes.json, undercloud/ironic-nodes.txt, undercloud/undercloud-install.log]
missing:
  description: What could not be read, and why.
  returned: always
  type: list
  elements: str
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.labkit.tripleo.plugins.module_utils.baremetal_cli import CLI_ARGS, Cli, node_rows
from ansible_collections.labkit.tripleo.plugins.module_utils.lab_logs import (
    UNDERCLOUD_EXPECTED, UNDERCLOUD_LOGS, Archive, ironic_report, password_file_values, read_log)

PASSWORDS_FILE = "tripleo-undercloud-passwords.yaml"
# An undercloud install or overcloud deploy log runs long; its end is what explains a failure.
LOG_SIZE = 4 * 1024 * 1024


def main():
    module = AnsibleModule(
        argument_spec=dict(
            CLI_ARGS,
            nodes=dict(type="list", elements="str", required=True),
            workdir=dict(type="path", required=True),
            stack_home=dict(type="path", required=True),
            secrets=dict(type="list", elements="str", default=[], no_log=True),
            dest=dict(type="path", required=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    missing = []
    cli = Cli(module, params["openstack"], params["rc_file"]) if params["rc_file"] and os.path.exists(
        params["rc_file"]) else None
    secrets = list(params["secrets"])
    if cli is not None and cli.env.get("OS_PASSWORD"):
        secrets.append(cli.env["OS_PASSWORD"])
    passwords = read_log(os.path.join(params["stack_home"], PASSWORDS_FILE), LOG_SIZE)
    secrets.extend(password_file_values(passwords or ""))
    module.no_log_values.update(s for s in secrets if s)
    archive = Archive(secrets)

    if cli is None:
        missing.append("ironic: no rc file %s (the undercloud is not installed)" % params["rc_file"])
    else:
        rc, out, err = cli.run("baremetal", "node", "list", "--long", "-f", "json", check=False)
        if rc != 0:
            missing.append("ironic: openstack baremetal node list failed (rc %d): %s" % (rc, (err or out).strip()[-500:]))
        else:
            rows, text = ironic_report(node_rows(out), params["nodes"])
            archive.add("undercloud/ironic-nodes.json", json.dumps(rows, indent=2, sort_keys=True) + "\n")
            archive.add("undercloud/ironic-nodes.txt", text)
    for name in UNDERCLOUD_LOGS:
        text = read_log(os.path.join(params["workdir"], name), LOG_SIZE)
        if text is not None:
            archive.add("undercloud/%s" % name, text)
        elif name in UNDERCLOUD_EXPECTED:
            missing.append("undercloud/%s: not written yet (its phase has not run)" % name)
    conf = read_log(os.path.join(params["stack_home"], "undercloud.conf"), LOG_SIZE)
    if conf is not None:
        archive.add("undercloud/undercloud.conf", conf)
    archive.add_missing("undercloud/missing.txt", missing)
    archive.write(params["dest"])
    module.exit_json(changed=False, files=sorted(archive.members), missing=missing, dest=params["dest"])


if __name__ == "__main__":
    main()
