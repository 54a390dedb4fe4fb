# -*- coding: utf-8 -*-
"""ipmitool: command line without the password, and output parsing."""

import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import ipmitool

SECRET = "Sup3rS3cret-pw"

BOOTPARAM_PXE = """Boot parameter version: 1
Boot parameter 5 is valid/unlocked
Boot parameter data: 8004000000
 Boot Flags :
   - Boot Flag Valid
   - Options apply to only next boot
   - BIOS PC Compatible (legacy) boot
   - Boot Device Selector : Force PXE
   - Console Redirection control : System Default
   - BIOS verbosity : Console redirection occurs per BIOS configuration setting (default)
   - BIOS Mux Control Override : BIOS uses recommended setting of the mux at the end of POST
"""


def bootparam(selector):
    return BOOTPARAM_PXE.replace("Force PXE", selector)


def test_argv_uses_env_password_and_never_p():
    argv = ipmitool.argv("ipmitool", "lanplus", "127.0.0.1", 7001, "admin", 3, 5, "power", "status")
    assert argv == ["ipmitool", "-I", "lanplus", "-H", "127.0.0.1", "-p", "7001", "-U", "admin", "-E",
                    "-R", "3", "-N", "5", "power", "status"]
    assert "-P" not in argv and "-f" not in argv
    assert all(isinstance(word, str) for word in argv)
    assert ipmitool.PASSWORD_ENV == "IPMI_PASSWORD"  # the variable ipmitool -E reads


def test_argv_signature_has_no_password_parameter():
    # Passing a password as an extra word would put it in argv: the API offers no slot for it.
    argv = ipmitool.argv("/usr/bin/ipmitool", "lanplus", "::1", 7002, "admin", 1, 2, "chassis", "bootdev", "pxe")
    assert argv[-3:] == ["chassis", "bootdev", "pxe"]
    assert argv[argv.index("-H") + 1] == "::1"
    assert argv[argv.index("-p") + 1] == "7002"
    assert SECRET not in " ".join(argv)


@pytest.mark.parametrize("output, state", [
    ("Chassis Power is on\n", "on"),
    ("Chassis Power is off\n", "off"),
    ("  Chassis Power is on  ", "on"),
    ("Set Session Privilege Level to ADMINISTRATOR\nChassis Power is off\n", "off"),
])
def test_parse_power(output, state):
    assert ipmitool.parse_power(output) == state


@pytest.mark.parametrize("output", [
    "", "Error: Unable to establish IPMI v2 / RMCP+ session\n", "Chassis Power is unknown\n", "chassis power on"])
def test_parse_power_garbage(output):
    with pytest.raises(ValueError) as info:
        ipmitool.parse_power(output)
    assert "power status" in str(info.value)


@pytest.mark.parametrize("selector, device", [
    ("Force PXE", "pxe"),
    ("No override", "default"),
    ("Force Boot from default Hard-Drive", "disk"),
    ("Force Boot from CD/DVD", "cdrom"),
    ("Force Boot into BIOS Setup", "bios"),
    ("Force Boot from Floppy/primary removable media", "floppy"),
])
def test_parse_bootdev(selector, device):
    assert ipmitool.parse_bootdev(bootparam(selector)) == device


def test_parse_bootdev_unknown_selector_is_returned_verbatim():
    assert ipmitool.parse_bootdev(bootparam("Force Boot from Diagnostic Partition")) == \
        "Force Boot from Diagnostic Partition"


def test_parse_bootdev_reads_only_the_selector_line():
    # "Boot parameter version: 1" must not be mistaken for the device.
    assert ipmitool.parse_bootdev(bootparam("Force Boot from default Hard-Drive")) == "disk"


@pytest.mark.parametrize("output", ["", "Boot parameter version: 1\nBoot parameter 5 is valid/unlocked\n",
                                    "Error: Unable to establish IPMI v2 / RMCP+ session"])
def test_parse_bootdev_garbage(output):
    with pytest.raises(ValueError):
        ipmitool.parse_bootdev(output)
