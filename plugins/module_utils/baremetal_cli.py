# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The undercloud's ``openstack`` CLI as modules run it, and what its output means."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import time

from ansible.module_utils.basic import remove_values

# Passing through these, the node is still on its way.
BUSY_STATES = ("verifying", "inspecting", "inspect wait", "cleaning", "clean wait")


def parse_capabilities(text):
    """'profile:control,boot_option:local' -> OrderedDict-like list of pairs as dict."""
    caps = {}
    for item in (text or "").split(","):
        if ":" in item:
            key, value = item.split(":", 1)
            caps[key.strip()] = value.strip()
    return caps


def format_capabilities(caps):
    """profile and boot_option first (as TripleO writes them), the rest sorted."""
    keys = [k for k in ("profile", "boot_option") if k in caps] + sorted(
        k for k in caps if k not in ("profile", "boot_option"))
    return ",".join("%s:%s" % (k, caps[k]) for k in keys)


def wanted_capabilities(current_text, profile):
    caps = parse_capabilities(current_text)
    caps["profile"] = profile
    caps["boot_option"] = "local"
    # The lab's domains boot SeaBIOS; without this Ironic (UEFI by default from Yoga on) would
    # write a UEFI boot configuration the node's firmware never reads.
    caps["boot_mode"] = "bios"
    return format_capabilities(caps)


def _field(row, *names):
    for name in names:
        if row.get(name) is not None:
            return row[name]
    return None


def node_rows(list_output):
    """``openstack baremetal node list --long -f json`` rows, by node name.

    python-ironicclient has printed both "Provisioning State"-style and snake_case keys
    over the years; both are read.
    """
    nodes = {}
    for row in json.loads(list_output or "[]"):
        properties = _field(row, "properties", "Properties") or {}
        if isinstance(properties, str):
            try:
                properties = json.loads(properties)
            except ValueError:
                properties = {}
        nodes[_field(row, "name", "Name")] = {
            "uuid": _field(row, "uuid", "UUID"),
            "provision_state": _field(row, "provision_state", "Provisioning State", "Provision State"),
            "power_state": _field(row, "power_state", "Power State"),
            "last_error": _field(row, "last_error", "Last Error"),
            "capabilities": properties.get("capabilities", ""),
            "inspected": bool(_field(row, "inspection_finished_at", "Inspection Finished At")),
            "instance_uuid": _field(row, "instance_uuid", "Instance UUID"),
            "driver": _field(row, "driver", "Driver"),
            "driver_info": _json_field(_field(row, "driver_info", "Driver Info")),
            "extra": _json_field(_field(row, "extra", "Extra")),
            "properties": dict((k, properties.get(k)) for k in ("cpus", "memory_mb", "local_gb")),
        }
    return nodes


def _json_field(value):
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def port_rows(list_output):
    """``openstack baremetal port list --fields uuid address node_uuid -f json``: {node uuid: {mac: port uuid}}."""
    ports = {}
    for row in json.loads(list_output or "[]"):
        node = _field(row, "node_uuid", "Node UUID")
        ports.setdefault(node, {})[(_field(row, "address", "Address") or "").lower()] = _field(row, "uuid", "UUID")
    return ports


def inspection_mismatches(nodes, expected):
    """What inspection found that differs from the lab description, one text per node and field.

    ``expected``: dicts with name, vcpus, memory_mb and disk_gb (the root disk). Ironic stores
    the root disk one GiB smaller than it is (it keeps room for partitioning), so both count.
    """
    problems = []
    for spec in expected:
        props = (nodes.get(spec["name"]) or {}).get("properties") or {}
        found = dict((key, _int(props.get(key))) for key in ("cpus", "memory_mb", "local_gb"))
        if found["cpus"] != spec["vcpus"]:
            problems.append("%s: inspected %s CPUs, the lab gives it %d" % (spec["name"], found["cpus"], spec["vcpus"]))
        if found["memory_mb"] is None or abs(found["memory_mb"] - spec["memory_mb"]) > 64:
            problems.append("%s: inspected %s MiB of memory, the lab gives it %d"
                            % (spec["name"], found["memory_mb"], spec["memory_mb"]))
        if found["local_gb"] not in (spec["disk_gb"], spec["disk_gb"] - 1):
            problems.append("%s: inspected a %s GiB root disk, the lab gives it %d"
                            % (spec["name"], found["local_gb"], spec["disk_gb"]))
    return problems


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# The argument spec of every module that runs the openstack CLI (doc fragment openstack_cli).
CLI_ARGS = dict(
    openstack=dict(type="path", default="openstack"),
    rc_file=dict(type="path"),
)


class Cli(object):
    """Runs ``openstack`` with the environment of an rc file (stackrc on an undercloud)."""

    def __init__(self, module, command, rc_file, log_path=None):
        self.module = module
        self.command = command
        self.env = {}
        self.log_path = log_path
        self.logged = False
        if rc_file:
            # The rc file is shell; let bash evaluate it and report the environment it leaves.
            rc, out, err = module.run_command(["bash", "-c", 'set -a; . "$1" >/dev/null; env -0', "_", rc_file])
            if rc != 0:
                module.fail_json(msg="cannot read %s: %s" % (rc_file, err.strip()))
            for item in out.split("\0"):
                if "=" in item:
                    key, value = item.split("=", 1)
                    if key.startswith("OS_") or key in ("HTTP_BOOT", "PATH", "HOME", "LANG", "LC_ALL"):
                        self.env[key] = value

    def run(self, *args, **kwargs):
        rc, out, err = self.module.run_command([self.command] + list(args), environ_update=self.env)
        if kwargs.get("log"):
            self.log("$ openstack %s\n%s%s[rc %d]\n" % (" ".join(args), out, err, rc))
        if rc != 0 and kwargs.get("check", True):
            self.module.fail_json(msg="openstack %s failed (rc %d): %s" % (" ".join(args[:3]), rc,
                                                                           _last_lines(err or out)))
        return rc, out, err

    def log(self, text):
        """Append ``text`` to the log file, which this run starts afresh; every value the module
        keeps out of its own logs (the BMC passwords) is masked before it is written."""
        if not self.log_path:
            return
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if self.logged else os.O_TRUNC)
        fd = os.open(self.log_path, flags, 0o600)
        os.fchmod(fd, 0o600)  # a file left by an older run may have had wider rights
        with os.fdopen(fd, "w") as stream:
            if not self.logged:
                stream.write("# %s\n" % time.strftime("%Y-%m-%d %H:%M:%S %Z"))
            stream.write(remove_values(text, self.module.no_log_values))
        self.logged = True

    def nodes(self):
        _rc, out, _err = self.run("baremetal", "node", "list", "--long", "-f", "json")
        return node_rows(out)

    def ports(self):
        _rc, out, _err = self.run("baremetal", "port", "list", "--fields", "uuid", "address", "node_uuid", "-f", "json")
        return port_rows(out)

    def wait(self, names, target, timeout, poll=2.0):
        """Poll until every named node is in ``target``; return (nodes, problems)."""
        deadline = time.time() + timeout
        while True:
            nodes = self.nodes()
            problems = check_states(nodes, names, target)
            # Stop early once nothing is busy any more: a failed node will not recover alone.
            busy = any(p["state"] in BUSY_STATES for p in problems)
            if not problems or time.time() > deadline or not busy:
                return nodes, problems
            time.sleep(poll)


def check_states(nodes, names, target):
    problems = []
    for name in names:
        node = nodes.get(name)
        if node is None:
            problems.append({"name": name, "state": "missing", "error": "not registered in Ironic"})
        elif node["provision_state"] != target:
            problems.append({"name": name, "state": node["provision_state"],
                             "error": node.get("last_error") or "provision state is %s, wanted %s"
                             % (node["provision_state"], target)})
    return problems


def _last_lines(text, count=8):
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(lines[-count:])
