# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ipmitool command lines and output parsing, free of Ansible for unit tests."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import subprocess
import time

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


class BmcError(Exception):
    pass


class Bmc(object):
    """One IPMI BMC reached through ipmitool; the password travels in the environment."""

    def __init__(self, params, bmc):
        self.params = params
        self.bmc = bmc
        self.env = dict(os.environ, **{PASSWORD_ENV: params["password"]})

    def run(self, *command):
        p = self.params
        args = argv(p["ipmitool"], p["interface"], self.bmc["address"], self.bmc["port"], p["username"],
                    p["retries"], p["timeout"], *command)
        proc = subprocess.run(args, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, check=False)
        if proc.returncode != 0:
            raise BmcError("%s:%s %s: %s" % (self.bmc["address"], self.bmc["port"], " ".join(command),
                                             (proc.stderr or proc.stdout).strip()[:300]))
        return proc.stdout

    def power(self):
        return parse_power(self.run("power", "status"))

    def bootdev(self):
        return parse_bootdev(self.run("chassis", "bootparam", "get", "5"))

    def set_power(self, state, wait):
        """Switch power to ``state`` (on/off) and wait until the BMC reports it."""
        self.run("power", state)
        deadline = time.time() + wait
        while self.power() != state:
            if time.time() > deadline:
                raise BmcError("%s did not report power %s within %ss" % (self.bmc["name"], state, wait))
            time.sleep(0.5)
