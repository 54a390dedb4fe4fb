# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What of the virthost's software is already installed, read in one cheap query, so that a
re-run skips the package manager and pip (about 2.5 s of module calls) when nothing is missing.

The package manager and pip still do every install and upgrade; this only decides whether they
need to be asked.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import re


# Ansible's names for the families the lab's package lists are written for.
FAMILIES = (("Debian", ("debian", "ubuntu")), ("RedHat", ("rhel", "centos", "fedora", "rocky", "almalinux")))


def os_family(os_release):
    """The OS family, as Ansible's facts name it, from the text of /etc/os-release (its ID and
    ID_LIKE); the ID itself, capitalised, for a family the lab has no package names for."""
    fields = {}
    for line in os_release.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            fields[key.strip()] = value.strip().strip("\"'")
    ids = [fields.get("ID", "").lower()] + fields.get("ID_LIKE", "").lower().split()
    for family, members in FAMILIES:
        if any(i in members for i in ids):
            return family
    return ids[0].capitalize() or "Unknown"


def query_command(tools, names):
    """argv that lists the install state of ``names`` in one process, for the first package
    tool the host has (``tools`` maps dpkg-query/rpm to their path or None); None without one."""
    if tools.get("dpkg-query"):
        return [tools["dpkg-query"], "-W", "-f", "${Package}\t${db:Status-Status}\n"] + list(names)
    if tools.get("rpm"):
        return [tools["rpm"], "-q", "--whatprovides", "--qf", "%{NAME}\n"] + list(names)
    return None


def missing_packages(tool, names, rc, out):
    """The names not installed, from the output of ``query_command`` (dpkg-query prints a line
    per known package and exits 1 when one is unknown; rpm prints "no package provides X")."""
    if tool == "dpkg-query":
        installed = set()
        for line in out.splitlines():
            name, _sep, status = line.partition("\t")
            if status.strip() == "installed":
                installed.add(name.split(":")[0])
        return [name for name in names if name not in installed]
    missing = set()
    for line in out.splitlines():
        match = re.match(r"^no package provides (\S+)$", line.strip()) or re.match(
            r"^package (\S+) is not installed$", line.strip())
        if match:
            missing.add(match.group(1))
    if rc != 0 and not missing:
        return list(names)  # an answer we cannot read: let the package manager decide
    return [name for name in names if name in missing]


def _normalise(name):
    return re.sub(r"[-_.]+", "_", name).lower()


def venv_version(venv, distribution):
    """The version of ``distribution`` installed in the virtualenv ``venv`` (from its
    ``.dist-info`` directory, no interpreter started), or None when it is not there."""
    if not os.path.exists(os.path.join(venv, "bin", "python3")):
        return None  # a venv without its interpreter is broken, whatever it still holds
    wanted = _normalise(distribution)
    for path in glob.glob(os.path.join(venv, "lib", "python3*", "site-packages", "*.dist-info")):
        name, _sep, version = os.path.basename(path)[:-len(".dist-info")].rpartition("-")
        if _normalise(name) == wanted:
            return version
    return None


def venv_current(venv, requirement):
    """Whether ``requirement`` (``name==version``, as the role pins it) is what ``venv`` has."""
    name, _sep, version = requirement.partition("==")
    return bool(version) and venv_version(venv, name.strip()) == version.strip()
