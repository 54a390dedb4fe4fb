# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The logs of a lab gathered in one archive: what to read after a failed night.

Pure parts: which commands to run, where each thing goes in the archive, and the scrubbing of
secrets, which every text passes through before it is written.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import os
import re
import tarfile
import time

from ansible_collections.labkit.tripleo.plugins.module_utils import console_log

MASK = "********"
# The archive's top directory; fetched into artifacts/<lab>/logs/.
TOP = "logs"


def scrub(text, secrets):
    """``text`` with every secret replaced by a mask; longer secrets first, so a secret that
    contains a shorter one is masked whole."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def read_log(path, size=2 * 1024 * 1024):
    """The last ``size`` characters of the log at ``path``, or None when there is no such file."""
    return console_log.read_end(path, size=size) if path and os.path.exists(path) else None


def safe_name(name):
    """A file name from a VM or bridge name (already checked by the model), defensively."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "_"


def host_commands(bridge, vbmc=None, firewall_cmd=None):
    """(archive path, argv) of each command whose output is collected from the virthost."""
    commands = [("openvswitch/ovs-vsctl-show.txt", ["ovs-vsctl", "show"]),
                ("openvswitch/%s-flows.txt" % safe_name(bridge), ["ovs-ofctl", "dump-flows", bridge]),
                ("openvswitch/%s-ports.txt" % safe_name(bridge), ["ovs-vsctl", "list-ports", bridge])]
    if vbmc:
        commands.append(("bmc/vbmc-list.txt", [vbmc, "list"]))
    if firewall_cmd:
        commands.append(("firewall/zones.txt", [firewall_cmd, "--list-all-zones"]))
    return commands


class Archive(object):
    """A gzip tar built in memory, every member scrubbed, readable by its owner only."""

    def __init__(self, secrets):
        self.secrets = secrets
        self.buffer = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buffer, mode="w:gz")
        self.members = []

    def add(self, path, text):
        data = scrub(text, self.secrets).encode("utf-8", "replace")
        info = tarfile.TarInfo("%s/%s" % (TOP, path))
        info.size = len(data)
        info.mode = 0o600
        info.mtime = int(time.time())
        self.tar.addfile(info, io.BytesIO(data))
        self.members.append(path)

    def add_missing(self, path, missing):
        """``path`` listing what could not be read, one line each, so the archive says so itself."""
        self.add(path, "\n".join(missing) + "\n" if missing else "nothing missing\n")

    def bytes(self):
        self.tar.close()
        return self.buffer.getvalue()

    def write(self, path):
        """The archive into ``path``, readable by its owner only, whatever the file was before."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(self.bytes())


# What the TripleO phases leave in the lab's directory on the undercloud (lab.tripleo.workdir):
# each run's log and the one before it.
UNDERCLOUD_LOGS = ("undercloud-install.log", "undercloud-install.log.1", "overcloud-node-import.log",
                   "overcloud-deploy.log", "overcloud-deploy.log.1")
# A log of this kind is always there once its phase ran; the others only sometimes.
UNDERCLOUD_EXPECTED = ("undercloud-install.log", "overcloud-node-import.log", "overcloud-deploy.log")


def ironic_report(nodes, names):
    """What Ironic says of each of the lab's nodes (rows of ``baremetal_cli.node_rows``), in the
    lab's order: the JSON document and a text of one line per node with its last error."""
    rows, lines = [], []
    for name in names:
        node = nodes.get(name)
        if node is None:
            rows.append({"name": name, "registered": False})
            lines.append("%s: not registered in Ironic" % name)
            continue
        row = {"name": name, "registered": True}
        keys = ("uuid", "provision_state", "power_state", "driver", "last_error", "inspected", "instance_uuid")
        row.update((key, node.get(key)) for key in keys)
        rows.append(row)
        error = ("; last error: %s" % row["last_error"]) if row["last_error"] else ""
        lines.append("%s: %s, %s%s" % (name, row["provision_state"], row["power_state"], error))
    return rows, "\n".join(lines) + "\n"


def password_file_values(text):
    """The values of a TripleO passwords file (``tripleo-undercloud-passwords.yaml``: one
    ``  Name: value`` line each under ``parameter_defaults``), to be scrubbed; read without a YAML
    library, which an undercloud's module interpreter may lack. Values shorter than six
    characters (flags, counts) are not secrets and would mask every such word in the logs."""
    values = []
    for line in text.splitlines():
        match = re.match(r"^\s+[A-Za-z0-9_]+:\s*['\"]?([^'\"\s]+)['\"]?\s*$", line)
        if match and len(match.group(1)) >= 6:
            values.append(match.group(1))
    return values
