#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: vbmc
short_description: One VirtualBMC per overcloud node, added and started idempotently
version_added: "0.1.0"
description:
  - What users know as C(vbmc add), C(vbmc start), C(vbmc stop) and C(vbmc delete), for all
    nodes of a lab in one call. C(vbmcd) must already be running.
  - A BMC that exists with the wanted settings is left alone (a stopped one is started). One
    whose address, port, user, password or libvirt URI differ is stopped, deleted, added again
    and started, because vbmc has no update command and a running BMC keeps its old settings.
  - Binds to I(address) (never to VirtualBMC's default C(::)). After adding, the BMC's config
    directory (which holds the password in plain text) is made private (0700, file 0600).
  - Fails before changing anything when another BMC already serves a wanted address and port.
  - With I(state=absent), deletes the BMCs of every domain that carries this lab's ownership
    mark (and of the listed names), nothing else.
  - Written for this collection because earlier lab tools deleted and re-added every BMC on
    each run and so were never idempotent.
options:
  lab:
    description: Name of the lab; with I(state=absent), BMCs of domains marked with it are deleted.
    type: str
    required: true
  bmcs:
    description: BMCs, each with C(name) (the libvirt domain) and C(port).
    type: list
    elements: dict
    default: []
  address:
    description: Address every BMC listens on.
    type: str
    default: 127.0.0.1
  username:
    description: IPMI user name.
    type: str
    default: admin
  password:
    description: IPMI password. Never logged.
    type: str
  libvirt_uri:
    description: libvirt URI the BMCs drive.
    type: str
    default: qemu:///system
  vbmc_command:
    description: Path of the vbmc client.
    type: path
    default: vbmc
  config_dir:
    description: VirtualBMC's configuration directory (vbmcd's C(config_dir)).
    type: path
    default: ~/.vbmc
  state:
    description: C(present) adds and starts; C(absent) stops and deletes.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - labkit.tripleo.attributes
notes:
  - The password reaches C(vbmc add) as a command-line argument, as vbmc offers no other way;
    on a shared virthost other local users can see process arguments for that moment.
requirements:
  - VirtualBMC (vbmc and a running vbmcd) on the virthost
author:
  - labkit.tripleo contributors
"""

EXAMPLES = r"""
- name: BMCs of every overcloud node
  labkit.tripleo.vbmc:
    lab: mylab
    address: 127.0.0.1
    username: admin
    password: "{{ lab_bmc_password }}"
    vbmc_command: /opt/labkit/venv/bin/vbmc
    bmcs:
      - {name: control-1, port: 7001}
      - {name: compute-1, port: 7002}
"""

RETURN = r"""
bmcs:
  description: What happened to each BMC.
  returned: always
  type: list
  elements: dict
  sample:
    - {name: control-1, address: 127.0.0.1, port: 7001, action: added, status: running}
"""

import configparser
import json
import os

from ansible.module_utils.basic import AnsibleModule

try:
    from ansible_collections.labkit.tripleo.plugins.module_utils import libvirt_conn
    from ansible_collections.labkit.tripleo.plugins.module_utils.libvirt_xml import owner_of
except ImportError:  # pragma: no cover - the collection always ships both
    libvirt_conn = None


class Vbmc(object):
    def __init__(self, module):
        self.module = module
        self.command = module.params["vbmc_command"]

    def run(self, *args):
        rc, out, err = self.module.run_command([self.command] + list(args))
        if rc != 0:
            self.module.fail_json(msg="vbmc %s failed: %s" % (args[0], (err or out).strip()), rc=rc)
        return out

    def list(self):
        rc, out, err = self.module.run_command([self.command, "list", "-f", "json"])
        if rc != 0:
            self.module.fail_json(
                msg="cannot talk to vbmcd (%s). Start it: the vbmcd service on systemd hosts, "
                    "scripts/start-daemons elsewhere." % (err or out).strip())
        return dict((row["Domain name"], row) for row in json.loads(out or "[]"))


def read_config(config_dir, name):
    parser = configparser.ConfigParser()
    path = os.path.join(config_dir, name, "config")
    if not parser.read(path):
        return {}
    return dict(parser.items("VirtualBMC")) if parser.has_section("VirtualBMC") else {}


def make_private(config_dir, name):
    domain_dir = os.path.join(config_dir, name)
    os.chmod(config_dir, 0o700)
    os.chmod(domain_dir, 0o700)
    config = os.path.join(domain_dir, "config")
    if os.path.exists(config):
        os.chmod(config, 0o600)


def wanted_settings(params, bmc):
    return {"address": params["address"], "port": str(bmc["port"]), "username": params["username"],
            "password": params["password"], "libvirt_uri": params["libvirt_uri"]}


def drifted(config, wanted):
    """Names of settings that differ (values are never reported: one is a password)."""
    return sorted(key for key, value in wanted.items() if config.get(key) != value)


WILDCARDS = ("::", "0.0.0.0")


def endpoint_clashes(current, bmcs, address):
    """Wanted endpoints already served by a BMC outside ``bmcs``.

    A BMC bound to a wildcard address holds its port on every address.
    """
    wanted_names = set(b["name"] for b in bmcs)
    clashes = []
    for bmc in bmcs:
        for name, row in sorted(current.items()):
            if name in wanted_names or int(row.get("Port")) != int(bmc["port"]):
                continue
            other = str(row.get("Address"))
            if other == address or other in WILDCARDS or address in WILDCARDS:
                clashes.append("%s:%s (wanted by %s, served by BMC %s on %s)"
                               % (address, bmc["port"], bmc["name"], name, other))
    return clashes


def plan(current, config_of, params):
    """What to do with each BMC: added, replaced, started or unchanged."""
    results = []
    for bmc in params["bmcs"]:
        name = bmc["name"]
        row = current.get(name)
        result = {"name": name, "address": params["address"], "port": int(bmc["port"])}
        if row is None:
            result["action"] = "added"
        else:
            changes = drifted(config_of(name), wanted_settings(params, bmc))
            if changes:
                result["action"] = "replaced"
                result["changed_settings"] = changes
            elif row.get("Status") != "running":
                result["action"] = "started"
            else:
                result["action"] = "unchanged"
        result["status"] = "running"
        results.append(result)
    return results


def ensure_present(module, vbmc, params):
    config_dir = os.path.expanduser(params["config_dir"])
    current = vbmc.list()
    clashes = endpoint_clashes(current, params["bmcs"], params["address"])
    if clashes:
        module.fail_json(msg="BMC endpoints already in use, nothing was changed: %s" % "; ".join(clashes))
    results = plan(current, lambda name: read_config(config_dir, name), params)
    if module.check_mode:
        return results
    ports = dict((b["name"], b["port"]) for b in params["bmcs"])
    # All replaced BMCs release their ports before any BMC starts, so two nodes can swap ports.
    for result in results:
        if result["action"] == "replaced":
            vbmc.run("stop", result["name"])
            vbmc.run("delete", result["name"])
    for result in results:
        if result["action"] in ("added", "replaced"):
            vbmc.run("add", result["name"], "--address", params["address"], "--port", str(ports[result["name"]]),
                     "--username", params["username"], "--password", params["password"],
                     "--libvirt-uri", params["libvirt_uri"])
            make_private(config_dir, result["name"])
    for result in results:
        if result["action"] != "unchanged":
            vbmc.run("start", result["name"])
    return results


def lab_domains(module, params):
    """Names of libvirt domains carrying this lab's mark."""
    if libvirt_conn is None or libvirt_conn.libvirt is None:
        return set()
    conn = libvirt_conn.connect(module, params["libvirt_uri"])
    inactive = libvirt_conn.libvirt.VIR_DOMAIN_XML_INACTIVE
    return set(dom.name() for dom in conn.listAllDomains(0) if owner_of(dom.XMLDesc(inactive)) == params["lab"])


def ensure_absent(module, vbmc, params):
    current = vbmc.list()
    names = set(b["name"] for b in params["bmcs"]) | lab_domains(module, params)
    results = []
    for name in sorted(names & set(current)):
        if not module.check_mode:
            vbmc.run("delete", name)
        results.append({"name": name, "address": current[name].get("Address"),
                        "port": int(current[name].get("Port")), "action": "deleted", "status": "absent"})
    return results


def main():
    module = AnsibleModule(
        argument_spec=dict(
            lab=dict(type="str", required=True),
            bmcs=dict(type="list", elements="dict", default=[]),
            address=dict(type="str", default="127.0.0.1"),
            username=dict(type="str", default="admin"),
            password=dict(type="str", no_log=True),
            libvirt_uri=dict(type="str", default="qemu:///system"),
            vbmc_command=dict(type="path", default="vbmc"),
            config_dir=dict(type="path", default="~/.vbmc"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_if=[("state", "present", ("password",))],
        supports_check_mode=True,
    )
    vbmc = Vbmc(module)
    if module.params["state"] == "present":
        for index, bmc in enumerate(module.params["bmcs"]):
            if not bmc.get("name") or not isinstance(bmc.get("port"), int):
                module.fail_json(msg="bmcs[%d] needs a 'name' and an integer 'port'" % index)
        results = ensure_present(module, vbmc, module.params)
        changed = any(r["action"] != "unchanged" for r in results)
    else:
        results = ensure_absent(module, vbmc, module.params)
        changed = bool(results)
    module.exit_json(changed=changed, bmcs=results)


if __name__ == "__main__":
    main()
