# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One way to keep a daemon of the lab running: a systemd unit where systemd is PID 1, a
detached process (pid file, log file) where it is not (containers, CI runners).

Both keepers answer the same calls (running, installed, definition_changed, start, stop,
log_tail, remove), so a module chooses one with ``keeper_name`` and never asks again.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import signal
import subprocess
import time

SYSTEMD_RUNTIME_DIR = "/run/systemd/system"


def systemd_is_init():
    """Whether systemd is the running init system (what systemd's own sd_booted() checks)."""
    return os.path.isdir(SYSTEMD_RUNTIME_DIR)


def program_name(argv):
    """What a process runs, from its ``/proc/<pid>/cmdline`` split at NULs (bytes): the base name
    of argv[0], or for an interpreter (``python3 -s /usr/sbin/firewalld``) of its script, the
    first argument that is not an option."""
    name = os.path.basename(argv[0]) if argv else b""
    if name.startswith(b"python"):
        for arg in argv[1:]:
            if arg and not arg.startswith(b"-"):
                return os.path.basename(arg)
    return name


def processes_running(name, proc="/proc"):
    """PIDs (str) of the processes running the program or script ``name``, read from /proc, so no
    client of the daemon (a start-up each) is run to find it."""
    wanted = name.encode("utf-8")
    pids = []
    for pid in os.listdir(proc):
        if not pid.isdigit():
            continue
        try:
            with open(os.path.join(proc, pid, "cmdline"), "rb") as stream:
                argv = stream.read().split(b"\0")
        except (IOError, OSError):  # gone since the listing
            continue
        if program_name(argv) == wanted:
            pids.append(pid)
    return pids


def keeper_name(choice):
    """``auto``, ``systemd`` or ``process`` to the keeper that runs: systemd where it is PID 1."""
    if choice == "auto":
        return "systemd" if systemd_is_init() else "process"
    return choice


def read_text(path):
    """A file's text, or None when it does not exist."""
    try:
        with open(path) as handle:
            return handle.read()
    except IOError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise


def write_private(path, text):
    """Write ``text`` readable by root only, never briefly readable by others."""
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(tmp, 0o600)
    os.rename(tmp, path)


def render_unit(owner, description, commands, after=("network-online.target",), wants=(), oneshot=False,
                hardened=False):
    """The one shape of every unit this collection writes, its files private (UMask 0077).

    ``commands``: argvs run in order. A daemon (the default) is restarted on failure; a
    ``oneshot`` unit runs its commands once at boot and counts as active afterwards.
    ``hardened`` adds the sandboxing a daemon that only talks to libvirt can live with.
    """
    lines = ["# Managed by labkit.tripleo for %s." % owner, "[Unit]", "Description=%s" % description,
             "After=%s" % " ".join(after)]
    if wants:
        lines.append("Wants=%s" % " ".join(wants))
    lines += ["", "[Service]"]
    if oneshot:
        lines += ["Type=oneshot", "RemainAfterExit=yes"]
    lines += ["ExecStart=%s" % " ".join(argv) for argv in commands]
    if not oneshot:
        lines += ["Restart=on-failure", "RestartSec=2"]
    if hardened:
        lines += ["NoNewPrivileges=yes", "PrivateTmp=yes", "ProtectSystem=full"]
    lines += ["UMask=0077", "", "[Install]", "WantedBy=multi-user.target", ""]
    return "\n".join(lines)


class DetachedProcess(object):
    """A daemon started in a session of its own, known by its pid file.

    ``is_ours(cmdline)`` tells whether a /proc cmdline (NUL-separated) is this daemon: pids get
    reused, so a pid is only this daemon's while it still runs its command line.
    """
    name = "process"

    def __init__(self, module, argv, pid_file, log_file, is_ours):
        self.module = module
        self.argv = argv
        self.pid_file = pid_file
        self.log_file = log_file
        self.is_ours = is_ours

    def pid(self):
        text = read_text(self.pid_file)
        if not text or not text.strip().isdigit():
            return None
        pid = int(text.strip())
        cmdline = read_text("/proc/%d/cmdline" % pid)
        return pid if cmdline and self.is_ours(cmdline) else None

    def running(self):
        return self.pid() is not None

    def installed(self):
        return os.path.exists(self.pid_file)

    def definition_changed(self):
        """A detached process has no definition beside its command line."""
        return False

    def start(self):
        for directory in (os.path.dirname(self.pid_file), os.path.dirname(self.log_file)):
            if not os.path.isdir(directory):
                os.makedirs(directory, 0o755)
        log = os.open(self.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                    # Ansible deletes the module's temporary working directory.
                                    cwd="/", close_fds=True, start_new_session=True)
        finally:
            os.close(log)
        with open(self.pid_file, "w") as handle:
            handle.write("%d\n" % proc.pid)
        return proc

    def stop(self, grace=10):
        pid = self.pid()
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            deadline = time.time() + grace
            while time.time() < deadline and self.pid() is not None:
                time.sleep(0.1)
            if self.pid() is not None:
                os.kill(pid, signal.SIGKILL)
        if os.path.exists(self.pid_file):
            os.remove(self.pid_file)

    def log_tail(self):
        return (read_text(self.log_file) or "")[-1500:]

    def remove(self):
        self.stop()
        if os.path.exists(self.log_file):
            os.remove(self.log_file)


class SystemdUnit(object):
    """A daemon run by systemd as ``unit``, whose unit file is ``unit_text``."""
    name = "systemd"

    def __init__(self, module, unit, unit_text, unit_dir="/etc/systemd/system"):
        self.module = module
        self.unit = unit
        self.unit_text = unit_text
        self.unit_path = os.path.join(unit_dir, unit)
        self.systemctl = module.get_bin_path("systemctl", required=True)

    def run(self, *args):
        rc, out, err = self.module.run_command([self.systemctl] + list(args))
        if rc != 0:
            self.module.fail_json(msg="systemctl %s failed: %s" % (" ".join(args), (err or out).strip()))

    def running(self):
        rc, out, err = self.module.run_command([self.systemctl, "is-active", self.unit])
        return out.strip() == "active"

    def installed(self):
        return os.path.exists(self.unit_path)

    def definition_changed(self):
        return read_text(self.unit_path) != self.unit_text

    def install(self):
        """Write the unit where it differs and enable it; whether the file changed."""
        changed = self.definition_changed()
        if changed:
            with open(self.unit_path, "w") as handle:
                handle.write(self.unit_text)
            os.chmod(self.unit_path, 0o644)
            self.run("daemon-reload")
        self.run("enable", self.unit)
        return changed

    def start(self):
        """(Re)start; returns None, since systemd, not this process, watches the daemon."""
        self.install()
        self.run("restart", self.unit)
        return None

    def ensure_running(self):
        """Installed, enabled and running with this unit; restarted only when the unit changed.
        Whether anything changed."""
        changed = self.install()
        if changed:
            self.run("restart", self.unit)
            return True
        if not self.running():
            self.run("start", self.unit)
            return True
        return False

    def stop(self):
        if self.installed():
            self.run("disable", "--now", self.unit)

    def log_tail(self):
        rc, out, err = self.module.run_command(["journalctl", "-u", self.unit, "-n", "20", "--no-pager"])
        return out[-1500:]

    def remove(self):
        self.stop()
        if self.installed():
            os.remove(self.unit_path)
            self.run("daemon-reload")
