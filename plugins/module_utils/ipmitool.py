# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ipmitool command lines and output parsing, free of Ansible for unit tests."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

PASSWORD_ENV = "IPMI_PASSWORD"

BOOTDEV_FROM_SELECTOR = {
    "no override": "default",
    "force pxe": "pxe",
    "force boot from default hard-drive": "disk",
    "force boot from cd/dvd": "cdrom",
    "force boot into bios setup": "bios",
    "force boot from floppy/primary removable media": "floppy",
}


def argv(ipmitool, interface, address, port, username, retries, timeout, *command):
    """The password is read by ipmitool from $IPMI_PASSWORD (-E), never from argv."""
    return [ipmitool, "-I", interface, "-H", address, "-p", str(port), "-U", username, "-E",
            "-R", str(retries), "-N", str(timeout)] + list(command)


def parse_power(output):
    match = re.search(r"Chassis Power is (on|off)", output)
    if not match:
        raise ValueError("unexpected 'power status' output: %r" % output.strip()[:200])
    return match.group(1)


def parse_bootdev(output):
    match = re.search(r"Boot Device Selector\s*:\s*(.+)", output)
    if not match:
        raise ValueError("unexpected 'chassis bootparam get 5' output: %r" % output.strip()[:200])
    return BOOTDEV_FROM_SELECTOR.get(match.group(1).strip().lower(), match.group(1).strip())
