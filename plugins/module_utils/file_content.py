# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a file on the controller already holds what a task would write, read in the
controller's own process: a re-run then skips the copy (a module round trip, ~0.4 s each)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat


def holds(path, content, mode):
    """True when ``path`` is a regular file with exactly ``content`` (text, written as UTF-8) and
    permission bits ``mode`` (an octal string such as "0600"); a file that differs in either, or
    is missing or unreadable, is False, so the copy task runs and puts it right."""
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or stat.S_IMODE(info.st_mode) != int(str(mode), 8):
            return False
        with open(path, "rb") as stream:
            return stream.read() == content.encode("utf-8")
    except (OSError, IOError, ValueError):
        return False


def directory_holds(path, mode):
    """True when ``path`` is a directory (not a link to one) with permission bits ``mode``."""
    try:
        info = os.lstat(path)
        return stat.S_ISDIR(info.st_mode) and stat.S_IMODE(info.st_mode) == int(str(mode), 8)
    except (OSError, ValueError):
        return False
