# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's artifacts on the controller (instance, lab.json, instackenv.json, reports), written by
the controller_file action plugin in Ansible's own process: a file is written only when its bytes
or mode differ, atomically, with its mode set before a byte of it is written."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import os
import shutil
import stat
import tempfile

# action: written, mode set, created, removed or unchanged; diff: for --diff, or None.
Change = collections.namedtuple("Change", "path action diff")

# Parents the plugin has to create hold the lab's secrets too: private until told otherwise.
PARENT_MODE = 0o700


def mode_bits(mode):
    """``"0600"`` -> 0o600; anything that is not an octal permission is refused, naming it."""
    try:
        bits = int(str(mode), 8)
    except ValueError:
        bits = -1
    if not 0 <= bits <= 0o7777:
        raise ValueError("mode must be octal permission bits such as '0600', not %r" % (mode,))
    return bits


def _kind(path):
    try:
        info = os.lstat(path)
    except OSError:
        return None, None
    if stat.S_ISLNK(info.st_mode):
        return "link", None
    if stat.S_ISDIR(info.st_mode):
        return "directory", stat.S_IMODE(info.st_mode)
    if stat.S_ISREG(info.st_mode):
        return "file", stat.S_IMODE(info.st_mode)
    return "other", None


def _make_parents(directory):
    if directory and not os.path.isdir(directory):
        _make_parents(os.path.dirname(directory))
        os.mkdir(directory)
        os.chmod(directory, PARENT_MODE)


def write_atomic(path, data, bits):
    """``data`` (bytes) into ``path`` through a temporary file beside it (``.<name>.*.tmp``, what
    lab_record.remove_stale_temporaries clears after a killed run), synced and renamed over the old
    one: a reader sees the old file or the new one, a link at ``path`` is replaced, not followed."""
    directory = os.path.dirname(path)
    _make_parents(directory)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        os.fchmod(handle, bits)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.rename(temporary, path)
    except BaseException:
        if os.path.lexists(temporary):
            os.unlink(temporary)
        raise


def _file(path, content, bits, check):
    data = content.encode("utf-8")
    kind, current_bits = _kind(path)
    if kind in ("directory", "other"):
        raise ValueError("exists and is not a file; nothing was written")
    before = b""
    if kind == "file":
        with open(path, "rb") as stream:
            before = stream.read()
        if before == data and current_bits == bits:
            return Change(path, "unchanged", None)
    action = "mode set" if kind == "file" and before == data else "written"
    diff = {"before_header": path, "after_header": path,
            "before": before.decode("utf-8", "replace"), "after": content}
    if not check:
        if action == "mode set":
            os.chmod(path, bits)
        else:
            write_atomic(path, data, bits)
    return Change(path, action, diff)


def _directory(path, bits, check):
    kind, current_bits = _kind(path)
    if kind not in (None, "directory"):
        raise ValueError("exists and is not a directory; nothing was changed")
    if kind == "directory" and current_bits == bits:
        return Change(path, "unchanged", None)
    diff = {"before": {"path": path, "state": kind or "absent", "mode": "%04o" % current_bits if kind else None},
            "after": {"path": path, "state": "directory", "mode": "%04o" % bits}}
    if not check:
        if kind is None:
            _make_parents(os.path.dirname(path))
            os.mkdir(path)
        os.chmod(path, bits)
    return Change(path, "mode set" if kind else "created", diff)


def _absent(path, check):
    kind, _bits = _kind(path)
    if kind is None:
        return Change(path, "unchanged", None)
    if not check:
        if kind == "directory":
            shutil.rmtree(path)
        else:
            os.unlink(path)
    return Change(path, "removed", {"before": {"path": path, "state": kind}, "after": {"path": path, "state": "absent"}})


def apply(path, state, content=None, mode=None, check=False):
    """Puts ``path`` on this machine in ``state`` (file with ``content`` and ``mode``, directory with
    ``mode``, or absent); with ``check`` says what it would do and changes nothing."""
    path = os.path.abspath(os.path.expanduser(path))
    if state == "absent":
        return _absent(path, check)
    bits = mode_bits(mode)
    if state == "directory":
        return _directory(path, bits, check)
    return _file(path, content, bits, check)
