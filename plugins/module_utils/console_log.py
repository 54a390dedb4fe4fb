# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A VM's serial console log as people read it: the growing file followed line by line,
its end read cheaply, escape codes and backspaces applied; and removed with its rotated copies."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import re

_ANSI = re.compile(r"\x1b(?:\[[0-9;?]*[A-Za-z]|[A-Za-z=>])")


def console_tail(text, lines=15):
    """The last lines of a serial console log as a person reads it: no escape codes, backspaces applied."""
    text = _ANSI.sub("", text.replace("\r\n", "\n"))
    out = []
    for raw in text.split("\n"):
        line = []
        for char in raw.split("\r")[-1]:
            if char == "\b":
                if line:
                    line.pop()
            elif char >= " " or char == "\t":
                line.append(char)
        out.append("".join(line).rstrip())
    out = [line for line in out if line]
    return out[-lines:]


class Tail(object):
    """New complete lines of a growing file."""

    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.partial = ""

    def lines(self):
        try:
            with open(self.path) as handle:
                handle.seek(self.offset)
                text = handle.read()
                self.offset = handle.tell()
        except (IOError, OSError):
            return []
        text = self.partial + text
        lines = text.split("\n")
        self.partial = lines.pop()
        return lines


def read_end(path, size=20000):
    """The last ``size`` characters of a console log ('' when there is none yet)."""
    try:
        with open(path, errors="replace") as handle:
            handle.seek(max(0, os.path.getsize(path) - size))
            return handle.read()
    except (IOError, OSError):
        return ""


def file_tail(path):
    """The last lines of the console log at ``path`` as a person reads them, or why there are none."""
    text = read_end(path)
    return console_tail(text) if text else ["(the console log %s is empty or missing)" % path]


def remove_console_logs(path):
    """The log the lab's domain wrote, and virtlogd's rotated copies of it (path.0, path.1...)."""
    for name in [path] + glob.glob(glob.escape(path) + ".[0-9]*"):
        try:
            os.unlink(name)
        except FileNotFoundError:
            pass
