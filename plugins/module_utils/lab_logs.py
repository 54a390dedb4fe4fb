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
import re
import tarfile
import time

MASK = "********"
# The archive's top directory; fetched into artifacts/<lab>/logs/.
TOP = "logs"


def scrub(text, secrets):
    """``text`` with every secret replaced by a mask; longer secrets first, so a secret that
    contains a shorter one is masked whole."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


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

    def bytes(self):
        self.tar.close()
        return self.buffer.getvalue()
