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
import os

OWNER_XATTR = "user.labkit.lab"
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


def mark(path, lab):
    os.setxattr(path, OWNER_XATTR, lab.encode("utf-8"))
