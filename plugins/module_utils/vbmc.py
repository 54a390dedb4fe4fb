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
import subprocess

from ansible_collections.labkit.tripleo.plugins.module_utils import ownership, service


# One process speaks vbmcd's own protocol for the whole module run (what virtualbmc.cmd.vbmc's
# ZmqClient sends: one JSON request per REQ socket, the port and timeout from VirtualBMC's own
# configuration), run by the interpreter of the venv VirtualBMC is installed in, which has zmq.
# It reads one request a line on stdin and writes vbmcd's reply a line on stdout. Each `vbmc`
# call is a client start-up (~0.12 s): a run lists, adds, starts and deletes in this one process.
# `vbmc add` also takes one BMC per call, and its password on the command line, where every user
# of the host can read it; here it goes through stdin.
SESSION_HELPER = r"""
import json, sys
import zmq
from virtualbmc import config
conf = config.get_config()["default"]
context = zmq.Context()
for line in sys.stdin:
    sock = context.socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 5)
    sock.connect("tcp://127.0.0.1:%s" % conf["server_port"])
    sock.send(line.strip().encode("utf-8"))
    if sock.poll(conf["server_response_timeout"]):
        reply = json.loads(sock.recv().decode("utf-8"))
    else:
        reply = {"rc": 1, "msg": ["vbmcd did not answer within %s ms" % conf["server_response_timeout"]]}
    sock.close()
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()
context.destroy()
"""

VBMCD_SILENT = "Start it: the vbmcd service on systemd hosts, scripts/start-daemons elsewhere."


def add_request(name, address, port, username, password, libvirt_uri):
    """The request ``vbmc add`` sends vbmcd for one BMC."""
    return {"command": "add", "domain_name": name, "address": address, "port": int(port), "username": username,
            "password": password, "libvirt_uri": libvirt_uri, "libvirt_sasl_username": None,
            "libvirt_sasl_password": None}


def reply_error(reply):
    """vbmcd's reason for a refused request, or None when it did what was asked."""
    if not reply.get("rc"):
        return None
    return "; ".join(reply.get("msg") or []) or "vbmcd answered rc %s" % reply["rc"]


class Vbmc(object):
    """VirtualBMC's client for one module run: requests go to vbmcd through SESSION_HELPER, one
    process for the run, when VirtualBMC's venv interpreter sits beside I(vbmc_command); otherwise
    each is a ``vbmc`` call. A failed list, delete, stop or start fails the module."""

    def __init__(self, module):
        self.module = module
        self.command = module.params["vbmc_command"]
        python = os.path.join(os.path.dirname(self.command), "python3")
        self.python = python if os.path.isabs(self.command) and os.path.exists(python) else None
        self.session = None

    def request(self, request):
        """vbmcd's reply to one request; the session process starts at the first."""
        if self.session is None:
            self.session = subprocess.Popen([self.python, "-c", SESSION_HELPER], stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        line = ""
        try:
            self.session.stdin.write(json.dumps(request) + "\n")
            self.session.stdin.flush()
            line = self.session.stdout.readline()
        except (IOError, OSError):
            pass
        if not line:
            return {"rc": 1, "msg": [self.close().strip()[-2000:] or "the vbmcd session process ended"]}
        return json.loads(line)

    def close(self):
        """End the session process (if any); what it wrote on stderr."""
        session, self.session = self.session, None
        if session is None:
            return ""
        try:
            session.stdin.close()
        except (IOError, OSError):
            pass
        err = session.stderr.read()
        session.stdout.close()
        session.stderr.close()
        session.wait()
        return err

    def add_all(self, requests):
        """Send every ``add_request`` to vbmcd, stopping at the first it refuses: (the names added,
        in order, and the error that stopped the rest, or None)."""
        added = []
        for request in requests:
            if self.python:
                error = reply_error(self.request(request))
            else:  # no venv interpreter at hand: the client, one BMC a call
                rc, out, err = self.module.run_command([
                    self.command, "add", request["domain_name"], "--address", request["address"], "--port",
                    str(request["port"]), "--username", request["username"], "--password", request["password"],
                    "--libvirt-uri", request["libvirt_uri"]])
                error = (err or out).strip() if rc != 0 else None
            if error:
                return added, "vbmc add %s failed: %s" % (request["domain_name"], error)
            added.append(request["domain_name"])
        return added, None

    def run(self, verb, *names):
        """delete, stop or start of the BMCs of ``names`` (vbmcd takes many at once)."""
        if self.python:
            error = reply_error(self.request({"command": verb, "domain_names": list(names)}))
            if error:
                self.module.fail_json(msg="vbmc %s failed: %s" % (verb, error))
            return
        rc, out, err = self.module.run_command([self.command, verb] + list(names))
        if rc != 0:
            self.module.fail_json(msg="vbmc %s failed: %s" % (verb, (err or out).strip()), rc=rc)

    def list(self):
        """The BMCs vbmcd knows, by domain name, each as ``vbmc list -f json`` shows a row."""
        if self.python:
            reply = self.request({"command": "list"})
            error = reply_error(reply)
            if error:
                self.module.fail_json(msg="cannot talk to vbmcd (%s). %s" % (error, VBMCD_SILENT))
            return dict((row[0], dict(zip(reply["header"], row))) for row in reply.get("rows") or [])
        rc, out, err = self.module.run_command([self.command, "list", "-f", "json"])
        if rc != 0:
            self.module.fail_json(msg="cannot talk to vbmcd (%s). %s" % ((err or out).strip(), VBMCD_SILENT))
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
    for pid in service.processes_running("vbmcd", proc):
        fd_dir = os.path.join(proc, pid, "fd")
        try:
            if any(os.readlink(os.path.join(fd_dir, fd)) in wanted for fd in os.listdir(fd_dir)):
                return True
        except (IOError, OSError):  # gone since the listing
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
