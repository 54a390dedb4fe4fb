# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab lock (``<dir>/<lab>/lock.json``, beside the lab record of ``lab_record``).

It makes a second run of the same lab fail at once, naming the run that holds it. The
lock is taken with an exclusive create, so two runs never both hold it; a lock whose
holder process is gone (pid and start time, on this host) is taken over.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import json
import os
import socket
import time

from ansible_collections.labkit.tripleo.plugins.module_utils.lab_record import ensure_dir, read_json

LOCK_FILE = "lock.json"


def process_start_time(pid):
    """The kernel's start time of ``pid`` (clock ticks since boot), or None when it is gone.

    A pid alone can be reused by another process after the holder died; pid and start
    time together cannot.
    """
    try:
        with open("/proc/%d/stat" % pid) as stream:
            stat = stream.read()
    except (IOError, OSError):
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    fields = stat[stat.rindex(")") + 2:].split()
    if fields[0] == "Z":
        return None
    return int(fields[19])


def _parent(pid):
    try:
        with open("/proc/%d/stat" % pid) as stream:
            stat = stream.read()
    except (IOError, OSError):
        return None
    return int(stat[stat.rindex(")") + 2:].split()[1])


def _command_line(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as stream:
            return stream.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except (IOError, OSError):
        return ""


def find_holder_process(pid=None):
    """The process whose life is the run's.

    When the controller is this host that is the first ansible-playbook process (its task
    workers are forks with the same command line, but they end with each task); over SSH it
    is the nearest SSH session, which ends when the controller goes. Returns (pid, command
    line), or (None, "") when neither is found.
    """
    pid = pid or os.getpid()
    found = (None, "")
    seen = 0
    while pid and pid > 1 and seen < 64:
        command = _command_line(pid)
        if "ansible-playbook" in command:
            found = (pid, command)
        elif command.startswith("sshd:") and found[0] is None:
            return pid, command
        pid = _parent(pid)
        seen += 1
    return found


def holder_description(lock):
    return "run %s (pid %s on %s, user %s, started %s%s)" % (
        lock.get("run_id"), lock.get("pid"), lock.get("host"), lock.get("user"), lock.get("started"),
        ", %s" % lock["command"][:120] if lock.get("command") else "")


def holder_alive(lock):
    """False when the recorded holder process no longer runs on this host."""
    if lock.get("host") != socket.gethostname() or not isinstance(lock.get("pid"), int):
        return True
    start = process_start_time(lock["pid"])
    return start is not None and start == lock.get("pid_start")


def acquire(directory, run_id, user):
    """Take the lab's lock for ``run_id``; returns (action, previous lock or None).

    action is "acquired", "held" (this run already holds it) or "taken over" (the previous
    holder is dead). Raises LockHeld when another live run holds it.
    """
    ensure_dir(directory)
    path = os.path.join(directory, LOCK_FILE)
    pid, command = find_holder_process()
    lock = {"run_id": run_id, "pid": pid, "pid_start": process_start_time(pid) if pid else None,
            "host": socket.gethostname(), "user": user, "command": command,
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    while True:
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            if exc.errno != errno.EEXIST:
                raise
        else:
            with os.fdopen(handle, "w") as stream:
                json.dump(lock, stream, indent=2, sort_keys=True)
            return "acquired", None
        try:
            current = read_json(path) or {}
        except ValueError:
            current = {}
        if current.get("run_id") == run_id:
            return "held", current
        if current and holder_alive(current):
            raise LockHeld(current)
        # The holder is dead: its lock goes, and the O_EXCL create above decides who is next.
        stale = path + ".stale-%s" % run_id
        try:
            os.rename(path, stale)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                raise
            continue
        os.unlink(stale)
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            if exc.errno == errno.EEXIST:
                continue
            raise
        with os.fdopen(handle, "w") as stream:
            json.dump(lock, stream, indent=2, sort_keys=True)
        return "taken over", current


def lock_run_id(path):
    """The run id in a lock file, whatever state the file is in (for breaking it)."""
    try:
        return (read_json(path) or {}).get("run_id")
    except ValueError:
        return None


def release(directory, run_id):
    """Drop the lock if ``run_id`` holds it; returns whether it did."""
    path = os.path.join(directory, LOCK_FILE)
    try:
        current = read_json(path)
    except ValueError:
        current = None
    if not current or current.get("run_id") != run_id:
        return False
    os.unlink(path)
    return True


class LockHeld(Exception):
    def __init__(self, lock):
        self.lock = lock
        super(LockHeld, self).__init__(holder_description(lock))


# What lab_lock and lab_record (its lock option) accept for the lock.
LOCK_OPTIONS = dict(
    run_id=dict(type="str", required=True),
    user=dict(type="str", default=""),
    break_lock=dict(type="bool", default=False),
)


def take_or_fail(module, directory, lab, run_id, user="", break_lock=False):
    """Takes the lab's lock for a module (in check mode too: it is bookkeeping, not the lab);
    fails the module naming the live run that holds it. Returns {"action": ..., "previous": ...}."""
    if break_lock:
        release(directory, lock_run_id(os.path.join(directory, LOCK_FILE)))
    try:
        action, previous = acquire(directory, run_id, user)
    except LockHeld as exc:
        module.fail_json(msg="lab %s is being built or torn down by another run: %s. Wait for it to end; if it "
                             "is dead, run again with -e lab_break_lock=true." % (lab, exc))
    result = {"action": action}
    if action == "taken over":
        result["previous"] = previous
        module.warn("took over the lock of lab %s from a run that is gone: %s" % (lab, holder_description(previous)))
    return result


def release_and_tidy(directory, run_id):
    """Releases the lock ``run_id`` holds; the lab's directory goes when nothing else is left in it."""
    released = release(directory, run_id)
    if released and os.path.isdir(directory) and not os.listdir(directory):
        os.rmdir(directory)
    return "released" if released else "not held"
