# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A network namespace wired to a lab VLAN through an Open vSwitch internal port.

The boot check's responder lives there, so the provisioning network's addresses
exist only inside the namespace and on the lab's VMs, never on the virthost's own
interfaces. The port carries the lab's mark in OVS (``external_ids``), so a run
killed half-way leaves a port the next run recognises as its own and removes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ctypes
import ctypes.util
import os
import signal

CLONE_NEWNET = 0x40000000
NETNS_DIR = "/run/netns"


class NetnsError(Exception):
    pass


def setns(name):
    """Move the calling process into namespace ``name`` (call it in a forked child)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    fd = os.open(os.path.join(NETNS_DIR, name), os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, "setns(%s): %s" % (name, os.strerror(errno)))
    finally:
        os.close(fd)


def fork_into(name, target, *args):
    """Run ``target(*args)`` in a child process inside namespace ``name``; returns its pid.

    The child never returns into the caller's code: it exits with 0 when ``target``
    returns and 1 when it raises.
    """
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        # The parent's stdout may be a protocol (an Ansible module's JSON answer): keep off it.
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.setsid()
        setns(name)
        target(*args)
        code = 0
    except BaseException:  # the child must never unwind into the parent's code
        pass
    finally:
        os._exit(code)


class VlanNamespace(object):
    """Namespace ``name`` holding OVS internal port ``port`` of ``bridge``, tagged ``vlan``."""

    def __init__(self, run, name, bridge, port, vlan, lab):
        self.run = run  # run(argv) -> (rc, stdout, stderr)
        self.name = name
        self.bridge = bridge
        self.port = port
        self.vlan = vlan
        self.lab = lab

    def _check(self, argv):
        rc, out, err = self.run(argv)
        if rc != 0:
            raise NetnsError("%s: %s" % (" ".join(argv), (err or out).strip()))
        return out

    def exists(self):
        return os.path.exists(os.path.join(NETNS_DIR, self.name))

    def port_owner(self):
        """None when the port does not exist; otherwise the lab in its mark ('' without one)."""
        rc, out, _err = self.run(["ovs-vsctl", "--if-exists", "get", "Port", self.port, "external_ids:labkit-lab"])
        if rc != 0 or not out.strip():
            rc, out, _err = self.run(["ovs-vsctl", "--if-exists", "get", "Port", self.port, "name"])
            return "" if out.strip() else None
        return out.strip().strip('"')

    def foreign_links(self):
        """Interfaces in the namespace other than loopback and the lab's port."""
        rc, out, _err = self.run(["ip", "-n", self.name, "-o", "link", "show"])
        if rc != 0:
            return []
        names = [line.split(":")[1].strip().split("@")[0] for line in out.splitlines() if ":" in line]
        return [n for n in names if n not in ("lo", self.port)]

    def preflight(self):
        """Why this namespace cannot be made here, or None. Changes nothing."""
        rc, _out, _err = self.run(["ovs-vsctl", "br-exists", self.bridge])
        if rc != 0:
            return "Open vSwitch bridge %s does not exist: build the lab first" % self.bridge
        owner = self.port_owner()
        if owner is not None and owner != self.lab:
            return "OVS port %s exists and is not the boot check's of lab %s" % (self.port, self.lab)
        if self.exists() and self.foreign_links():
            return "network namespace %s exists with interfaces that are not the lab's (%s)" % (
                self.name, ", ".join(self.foreign_links()))
        return None

    def create(self, address):
        """Namespace, tagged port moved into it, ``address`` (with prefix) on it, links up."""
        self.remove()
        self._check(["ip", "netns", "add", self.name])
        self._check(["ovs-vsctl", "--", "add-port", self.bridge, self.port, "tag=%d" % self.vlan,
                     "--", "set", "Interface", self.port, "type=internal",
                     "--", "set", "Port", self.port, "external_ids:labkit-lab=%s" % self.lab,
                     "external_ids:labkit-role=boot-check"])
        self._check(["ip", "link", "set", "dev", self.port, "netns", self.name])
        self._check(["ip", "-n", self.name, "link", "set", "dev", "lo", "up"])
        self._check(["ip", "-n", self.name, "addr", "add", address, "dev", self.port])
        self._check(["ip", "-n", self.name, "link", "set", "dev", self.port, "up"])

    def remove(self):
        """The port (only with the lab's mark), the namespace and every process left in it (a
        responder of a run killed half-way); quiet when already gone. Returns what it removed."""
        removed = []
        if self.port_owner() == self.lab:
            self._check(["ovs-vsctl", "--if-exists", "del-port", self.port])
            removed.append("port %s" % self.port)
        if self.exists():
            rc, out, _err = self.run(["ip", "netns", "pids", self.name])
            for pid in (int(p) for p in out.split() if p.isdigit()) if rc == 0 else []:
                try:
                    os.kill(pid, signal.SIGKILL)
                    removed.append("process %d" % pid)
                except OSError:
                    pass  # gone already
            self._check(["ip", "netns", "delete", self.name])
            removed.append("namespace %s" % self.name)
        return removed
