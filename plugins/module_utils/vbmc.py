# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""VirtualBMC as the lab uses it: its client (``vbmc``), the mark file that says a BMC is the
lab's, the BMCs' config files (settings, permissions), and the plan of what to do with each.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import configparser
import json
import os

from ansible_collections.labkit.tripleo.plugins.module_utils import ownership, service


# Adds every BMC in one process speaking vbmcd's own protocol (what virtualbmc.cmd.vbmc's
# ZmqClient sends: one JSON request per REQ socket, the port and timeout from VirtualBMC's own
# configuration), run by the interpreter of the venv VirtualBMC is installed in, which has zmq.
# `vbmc add` takes one BMC per call, each a ~0.12 s client start-up, and its password on the
# command line, where every user of the host can read it; here it goes through stdin.
ADD_HELPER = r"""
import json, sys
import zmq
from virtualbmc import config
conf = config.get_config()["default"]
context = zmq.Context()
replies = []
for request in json.load(sys.stdin):
    sock = context.socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 5)
    sock.connect("tcp://127.0.0.1:%s" % conf["server_port"])
    sock.send(json.dumps(request).encode("utf-8"))
    if sock.poll(conf["server_response_timeout"]):
        reply = json.loads(sock.recv().decode("utf-8"))
    else:
        reply = {"rc": 1, "msg": ["vbmcd did not answer within %s ms" % conf["server_response_timeout"]]}
    sock.close()
    replies.append(dict(reply, domain_name=request["domain_name"]))
    if reply.get("rc"):
        break
context.destroy()
json.dump(replies, sys.stdout)
"""


def add_request(name, address, port, username, password, libvirt_uri):
    """The request ``vbmc add`` sends vbmcd for one BMC."""
    return {"command": "add", "domain_name": name, "address": address, "port": int(port), "username": username,
            "password": password, "libvirt_uri": libvirt_uri, "libvirt_sasl_username": None,
            "libvirt_sasl_password": None}


class Vbmc(object):
    """The ``vbmc`` client (I(vbmc_command)) run by the module; a failed command fails the module."""

    def __init__(self, module):
        self.module = module
        self.command = module.params["vbmc_command"]

    def add_all(self, requests):
        """Send every ``add_request`` to vbmcd through ADD_HELPER: (the names added, in order, and
        the error that stopped the rest, or None)."""
        if not requests:
            return [], None
        python = os.path.join(os.path.dirname(self.command), "python3")
        added = []
        if not os.path.isabs(self.command) or not os.path.exists(python):
            for request in requests:  # no venv interpreter at hand: the client, one BMC a call
                rc, out, err = self.module.run_command([
                    self.command, "add", request["domain_name"], "--address", request["address"], "--port",
                    str(request["port"]), "--username", request["username"], "--password", request["password"],
                    "--libvirt-uri", request["libvirt_uri"]])
                if rc != 0:
                    return added, "vbmc add %s failed: %s" % (request["domain_name"], (err or out).strip())
                added.append(request["domain_name"])
            return added, None
        rc, out, err = self.module.run_command([python, "-c", ADD_HELPER], data=json.dumps(requests))
        if rc != 0:
            return [], "vbmc add failed: %s" % (err or out).strip()[-2000:]
        for reply in json.loads(out or "[]"):
            if reply.get("rc"):
                return added, "vbmc add %s failed: %s" % (reply["domain_name"], "; ".join(reply.get("msg") or []))
            added.append(reply["domain_name"])
        return added, None

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
        verdict = ownership.verdict(found, params)
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


# ------------------------------------------------------------ vbmcd, read without asking it

VBMCD_UNIT = "vbmcd.service"
# Where VirtualBMC reads its configuration, in its order (virtualbmc.config).
VBMC_CONFIG_PATHS = ("$VIRTUALBMC_CONFIG", "~/.vbmc/virtualbmc.conf", "/etc/virtualbmc/virtualbmc.conf")
VBMCD_DEFAULT_PORT = 50891


def vbmcd_unit_text(venv):
    """The unit the lab keeps vbmcd in where systemd is PID 1."""
    return service.render_unit("the virthost", "VirtualBMC daemon (labkit.tripleo)",
                               [[os.path.join(venv, "bin", "vbmcd"), "--foreground"]],
                               after=("network-online.target", "libvirtd.service"), wants=("libvirtd.service",),
                               hardened=True)


def vbmcd_server_port(paths=VBMC_CONFIG_PATHS):
    """The port vbmcd serves its clients on: server_port of the first configuration file VirtualBMC
    would read, else its default."""
    for path in paths:
        path = os.path.expanduser(os.path.expandvars(path))
        if path.startswith("$") or not os.path.isfile(path):
            continue
        parser = configparser.ConfigParser()
        try:
            parser.read(path)
            return parser.getint("default", "server_port", fallback=VBMCD_DEFAULT_PORT)
        except (configparser.Error, ValueError):
            return VBMCD_DEFAULT_PORT
    return VBMCD_DEFAULT_PORT


def listening_inodes(port, proc="/proc"):
    """Socket inodes listening on TCP ``port`` (any address, IPv4 or IPv6), from /proc/net."""
    inodes = set()
    for table in ("tcp", "tcp6"):
        try:
            with open(os.path.join(proc, "net", table)) as stream:
                rows = stream.read().splitlines()[1:]
        except IOError:
            continue
        for row in rows:
            fields = row.split()
            # local address HEX:PORT, state 0A is LISTEN, inode is the 10th field
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes


def vbmcd_listening(port, proc="/proc"):
    """Whether a vbmcd process holds the socket listening on ``port``: read from /proc, so no
    client (a Python start-up, ~0.15 s) is started to ask it. A listening vbmcd that does not
    answer is found by the BMC phase, whose first request fails naming it."""
    inodes = listening_inodes(port, proc)
    if not inodes:
        return False
    wanted = set("socket:[%s]" % inode for inode in inodes)
    for pid in os.listdir(proc):
        if not pid.isdigit():
            continue
        try:
            with open(os.path.join(proc, pid, "cmdline"), "rb") as stream:
                argv = stream.read().split(b"\0")
            if not any(os.path.basename(arg) == b"vbmcd" for arg in argv[:2]):
                continue
            fd_dir = os.path.join(proc, pid, "fd")
            if any(os.readlink(os.path.join(fd_dir, fd)) in wanted for fd in os.listdir(fd_dir)):
                return True
        except (IOError, OSError):
            continue
    return False


def vbmcd_state(venv, unit_dir="/etc/systemd/system", proc="/proc"):
    """{listening, unit_current}: whether vbmcd listens for clients, and whether the lab's unit for it
    is written as wanted and enabled (what the vbmcd module would otherwise have to put right)."""
    unit_path = os.path.join(unit_dir, VBMCD_UNIT)
    return {
        "listening": vbmcd_listening(vbmcd_server_port(), proc),
        "unit_current": service.read_text(unit_path) == vbmcd_unit_text(venv)
        and os.path.islink(os.path.join(unit_dir, "multi-user.target.wants", VBMCD_UNIT)),
    }
