# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ownership mark of files the lab creates (disks, seed ISOs, downloaded images).

One definition, because teardown removes exactly the files that carry this mark:
every module that creates a file must write the same attribute.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import hashlib
import os

OWNER_XATTR = "user.labkit.lab"
INSTANCE_XATTR = "user.labkit.instance"
_ABSENT = (errno.ENODATA, errno.ENOTSUP, getattr(errno, "ENOATTR", errno.ENODATA))


def read(path, name=OWNER_XATTR):
    """An extended attribute of ``path`` as text, or None when it is not set.

    A missing file raises, so callers check existence first.
    """
    try:
        return os.getxattr(path, name).decode("utf-8")
    except OSError as exc:
        if exc.errno in _ABSENT:
            return None
        raise


def owner(path):
    """The lab recorded on a file, or None."""
    return read(path, OWNER_XATTR)


def mark(path, lab, instance=None):
    os.setxattr(path, OWNER_XATTR, lab.encode("utf-8"))
    if instance:
        os.setxattr(path, INSTANCE_XATTR, instance.encode("utf-8"))


def found_mark(path):
    """(lab, instance) of a file's mark; (None, None) without one."""
    return owner(path), read(path, INSTANCE_XATTR)


TEMPORARY_SUFFIX = ".labkit-tmp"


def temporary_path(path):
    """Where a lab file is built before it is marked and renamed into place.

    A run killed half-way leaves only this hidden name, never an unmarked file at ``path``
    that every later run would refuse as someone else's; the lab's next run removes it.
    """
    directory, name = os.path.split(path)
    return os.path.join(directory, "." + name + TEMPORARY_SUFFIX)


def is_lab_temporary(name, lab):
    """Whether a directory entry is a temporary file of ``lab`` (file names are '<lab>_<vm>...').

    Lab names hold no '_', so '.<lab>_' can only start a name this lab made.
    """
    return name.startswith("." + lab + "_") and name.endswith(TEMPORARY_SUFFIX)


def remove_temporary(path):
    """Remove what a killed run left at ``temporary_path(path)``; returns whether there was one."""
    staged = temporary_path(path)
    if os.path.lexists(staged):
        os.unlink(staged)
        return True
    return False


def contents_digest(files):
    """One SHA-256 of texts by name ({name: text}): what a file built from them (the seed ISO)
    or a daemon started with them (the Redfish emulator) is stamped with, so a later run tells
    whether they changed. Each name and text is NUL-terminated, so text moved between two
    names gives another digest."""
    digest = hashlib.sha256()
    for name, text in sorted(files.items()):
        digest.update(name.encode("utf-8") + b"\0" + text.encode("utf-8") + b"\0")
    return digest.hexdigest()
