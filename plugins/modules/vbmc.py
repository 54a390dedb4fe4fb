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
  - Every BMC the lab adds is marked as the lab's by a file C(labkit-lab) in its config
    directory (the lab's name and I(instance)). An existing BMC named like a node is managed only
    when it carries the mark, or when it has none and drives a domain that carries this lab's
    ownership mark (a BMC from before marks existed, which is then marked); any other, one of
    another instance of the lab included, is someone else's, and the module fails naming it
    before changing anything.
  - Fails before changing anything when another BMC already serves a wanted address and port.
  - The lab's BMCs that I(bmcs) no longer lists (a node removed from the description) are
    stopped and deleted first, so their ports are free for the others.
  - The config directories' permissions are enforced on every run, not only after an add.
  - With I(state=absent), deletes the BMCs marked as this lab's and unmarked ones that drive a
    domain of this lab, nothing else; a BMC of someone else named like a node survives.
  - Written for this collection because earlier lab tools deleted and re-added every BMC on
    each run and so were never idempotent.
options:
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
  - labkit.tripleo.owner
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
  description: >-
    What happened to each BMC; C(action) is C(added), C(replaced), C(started), C(unchanged),
    C(marked) (the lab's mark written or given the instance), C(permissions fixed) or C(deleted)
    (a BMC of a node no longer described, or I(state=absent)).
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

from ansible_collections.labkit.tripleo.plugins.module_utils import libvirt_conn, ownership
from ansible_collections.labkit.tripleo.plugins.module_utils.libvirt_xml import mark_of


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


MARK_FILE = "labkit-lab"


def mark_of_bmc(config_dir, name):
    """(lab, instance) recorded in a BMC's config directory (the mark file's two lines); (None, None)."""
    try:
        with open(os.path.join(config_dir, name, MARK_FILE)) as stream:
            lines = [line.strip() for line in stream.read().splitlines()]
    except (IOError, OSError):
        return None, None
    return (lines[0] if lines and lines[0] else None), (lines[1] if len(lines) > 1 and lines[1] else None)


def owner_of_bmc(config_dir, name):
    """The lab recorded in a BMC's config directory, or None."""
    return mark_of_bmc(config_dir, name)[0]


def mark_bmc(config_dir, name, lab, instance=None):
    path = os.path.join(config_dir, name, MARK_FILE)
    with open(path + ".tmp", "w") as stream:
        stream.write(lab + "\n" + ("%s\n" % instance if instance else ""))
    os.chmod(path + ".tmp", 0o600)
    os.rename(path + ".tmp", path)


def classify(current, wanted_names, marks, params, lab_domain_names):
    """Split the BMCs vbmcd knows into (ours, to mark, foreign wanted, ours unwanted).

    ours: marked with this lab (ownership.judge). to mark: the lab's but their mark lacks this
    instance, or unmarked and driving one of the lab's domains (a BMC from before marks).
    foreign wanted: named like a wanted node but someone else's. ours unwanted: the lab's BMCs
    of nodes no longer described.
    """
    ours, to_mark, foreign, unwanted = set(), set(), [], []
    for name in sorted(current):
        found = marks.get(name) or (None, None)
        verdict = ownership.judge(found[0], found[1], params["lab"], params["instance"], params["adopt"])
        if verdict == ownership.OURS:
            ours.add(name)
        elif verdict == ownership.TO_STAMP or (found[0] is None and name in lab_domain_names):
            to_mark.add(name)
        elif name in wanted_names:
            foreign.append("%s (owner: %s)" % (name, ownership.describe(*found) if found[0]
                                               else "none; its domain is not this lab's"))
        if name not in wanted_names and (name in ours or name in to_mark):
            unwanted.append(name)
    return ours, to_mark, foreign, unwanted


def read_config(config_dir, name):
    parser = configparser.ConfigParser()
    path = os.path.join(config_dir, name, "config")
    if not parser.read(path):
        return {}
    return dict(parser.items("VirtualBMC")) if parser.has_section("VirtualBMC") else {}


def make_private(config_dir, name):
    """0700 directories, 0600 files (the config holds the password); returns whether a mode changed."""
    changed = False
    domain_dir = os.path.join(config_dir, name)
    for path, mode in ((config_dir, 0o700), (domain_dir, 0o700), (os.path.join(domain_dir, "config"), 0o600)):
        if os.path.exists(path) and os.stat(path).st_mode & 0o777 != mode:
            os.chmod(path, mode)
            changed = True
    return changed


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
    wanted = set(b["name"] for b in params["bmcs"])
    marks = dict((name, mark_of_bmc(config_dir, name)) for name in current)
    ours, to_mark, foreign, unwanted = classify(current, wanted, marks, params, lab_domains(module, params))
    if foreign:
        foreign_labs = [marks[name][0] for name in wanted & set(current) if name not in ours | to_mark]
        module.fail_json(msg="these VirtualBMCs are named like nodes of lab %r but are not the lab's, so nothing "
                             "was changed: %s. %s." % (params["lab"], ", ".join(foreign), ownership.remedy(
                                 foreign_labs, params["lab"], "Rename the nodes or delete those BMCs")))
    # The removed nodes' BMCs no longer count as holding their ports.
    remaining = dict((name, row) for name, row in current.items() if name not in unwanted)
    clashes = endpoint_clashes(remaining, params["bmcs"], params["address"])
    if clashes:
        module.fail_json(msg="BMC endpoints already in use, nothing was changed: %s" % "; ".join(clashes))
    pruned = [{"name": name, "address": current[name].get("Address"), "port": int(current[name].get("Port")),
               "action": "deleted", "status": "absent"} for name in unwanted]
    results = plan(remaining, lambda name: read_config(config_dir, name), params)
    for result in results:
        if result["name"] in to_mark and result["action"] == "unchanged":
            result["action"] = "marked"
    if module.check_mode:
        return pruned + results
    for name in unwanted:
        vbmc.run("delete", name)
    for name in sorted(to_mark & wanted):
        mark_bmc(config_dir, name, params["lab"], params["instance"])
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
            mark_bmc(config_dir, result["name"], params["lab"], params["instance"])
    for result in results:
        if make_private(config_dir, result["name"]) and result["action"] == "unchanged":
            result["action"] = "permissions fixed"
        if result["action"] not in ("unchanged", "permissions fixed", "marked"):
            vbmc.run("start", result["name"])
    return pruned + results


def lab_domains(module, params):
    """Names of libvirt domains carrying this lab's mark."""
    if libvirt_conn.libvirt is None:
        return set()
    conn = libvirt_conn.connect(module, params["libvirt_uri"])
    inactive = libvirt_conn.libvirt.VIR_DOMAIN_XML_INACTIVE
    return set(dom.name() for dom in conn.listAllDomains(0)
               if ownership.is_ours(*(mark_of(dom.XMLDesc(inactive)) + (params["lab"], params["instance"],
                                                                         params["adopt"]))))


def ensure_absent(module, vbmc, params):
    config_dir = os.path.expanduser(params["config_dir"])
    current = vbmc.list()
    marks = dict((name, mark_of_bmc(config_dir, name)) for name in current)
    ours, to_mark, _, _ = classify(current, set(), marks, params, lab_domains(module, params))
    results = []
    for name in sorted(ours | to_mark):
        if not module.check_mode:
            vbmc.run("delete", name)
        results.append({"name": name, "address": current[name].get("Address"),
                        "port": int(current[name].get("Port")), "action": "deleted", "status": "absent"})
    return results


def main():
    module = AnsibleModule(
        argument_spec=dict(
            ownership.OWNER_ARGS,
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
