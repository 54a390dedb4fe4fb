# -*- coding: utf-8 -*-
"""lab_checks directly: the checker, the error type and the checks of paths, addresses and keys.

The other lab tests reach these only through lab_model.normalize; here each is called on its own,
so a message or a return value that changes is caught where it is made.
"""

import base64
import ipaddress
import re
import struct

import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils.lab_checks import (
    NAME_RE, REQUIRED, Checker, LabError, check_abs_path, check_address, check_public_key, is_wildcard,
    refuse_control_characters)

from lab_description import SECRET


# ---------------------------------------------------------------- LabError

def test_lab_error_message_lists_every_error():
    error = LabError(e for e in ["lab.name: bad", "lab.nodes[0].vcpus: must be a positive integer, got 0"])
    assert error.errors == ["lab.name: bad", "lab.nodes[0].vcpus: must be a positive integer, got 0"]
    assert str(error) == ("invalid lab description:\n"
                          "  - lab.name: bad\n"
                          "  - lab.nodes[0].vcpus: must be a positive integer, got 0")
    assert isinstance(error, ValueError)


# ------------------------------------------------------------ Checker.mapping

SCHEMA = {"name": REQUIRED, "size": 7, "tags": None}


def test_mapping_fills_defaults_and_keeps_given_values():
    check = Checker()
    assert check.mapping({"name": "x", "tags": ["a"]}, "lab.thing", SCHEMA) == {"name": "x", "size": 7, "tags": ["a"]}
    assert check.errors == []


def test_mapping_reports_a_missing_required_key_and_fills_none():
    check = Checker()
    assert check.mapping({"size": 3}, "lab.thing", SCHEMA) == {"name": None, "size": 3, "tags": None}
    assert check.errors == ["lab.thing.name: is required"]


def test_mapping_reports_each_unknown_key_and_drops_it():
    check = Checker()
    result = check.mapping({"name": "x", "zeta": 1, "colour": 2, 3: 4}, "lab.thing", SCHEMA)
    assert result == {"name": "x", "size": 7, "tags": None}
    # Sorted by their text (a non-string key does not break the sort), each naming the known keys.
    assert check.errors == [
        "lab.thing.3: unknown key (known: name, size, tags)",
        "lab.thing.colour: unknown key (known: name, size, tags)",
        "lab.thing.zeta: unknown key (known: name, size, tags)",
    ]


@pytest.mark.parametrize("value, kind", [(["name"], "list"), ("name", "string"), (None, "null"), (3, "integer")])
def test_mapping_of_a_non_mapping_is_none_and_one_error(value, kind):
    check = Checker()
    assert check.mapping(value, "lab.thing", SCHEMA) is None
    assert check.errors == ["lab.thing: must be a mapping, got %s" % kind]


# ------------------------------------------------------------ Checker.integer

@pytest.mark.parametrize("value, kind", [(True, "boolean"), (False, "boolean"), ("8", "string"),
                                         (8.0, "number"), (None, "null"), ([8], "list")])
def test_integer_refuses_non_integers_and_booleans(value, kind):
    check = Checker()
    assert check.integer(value, "lab.n", 0, 10) is False
    assert check.errors == ["lab.n: must be an integer, got %s" % kind]


@pytest.mark.parametrize("value, minimum, maximum, message", [
    (0, 1, None, "must be a positive integer, got 0"),
    (-3, 1, None, "must be a positive integer, got -3"),
    (5, 30, None, "must be between 30 and infinity, got 5"),
    (1023, 1024, 65535, "must be between 1024 and 65535, got 1023"),
    (65536, 1024, 65535, "must be between 1024 and 65535, got 65536"),
    (0, 1, 4094, "must be between 1 and 4094, got 0"),
    (11, None, 10, "must be at most 10, got 11"),
])
def test_integer_bounds_messages(value, minimum, maximum, message):
    check = Checker()
    assert check.integer(value, "lab.n", minimum, maximum) is False
    assert check.errors == ["lab.n: " + message]


@pytest.mark.parametrize("value, minimum, maximum", [(1024, 1024, 65535), (65535, 1024, 65535), (1, 1, None),
                                                     (10 ** 9, 1, None), (-5, None, None)])
def test_integer_within_bounds_is_accepted(value, minimum, maximum):
    check = Checker()
    assert check.integer(value, "lab.n", minimum, maximum) is True
    assert check.errors == []


# ------------------------------------------------------------- Checker.string

def test_string_matching_the_pattern_is_accepted():
    check = Checker()
    assert check.string("control-1", "lab.name", NAME_RE, "VM name") is True
    assert check.errors == []


@pytest.mark.parametrize("value", ["bad name", "-lead", "control-1\n", ""])
def test_string_not_matching_the_pattern_names_what_was_expected(value):
    check = Checker()
    assert check.string(value, "lab.name", NAME_RE, "VM name") is False
    assert check.errors == ["lab.name: %r is not a valid VM name" % value]


def test_string_without_a_description_says_value():
    check = Checker()
    assert check.string("abc", "lab.x", re.compile(r"\d+\Z")) is False
    assert check.errors == ["lab.x: 'abc' is not a valid value"]


def test_string_may_be_null_only_when_nullable():
    check = Checker()
    assert check.string(None, "lab.uplink", NAME_RE, "interface name", nullable=True) is True
    assert check.errors == []
    assert check.string(None, "lab.uplink", NAME_RE, "interface name") is False
    assert check.errors == ["lab.uplink: must be a string, got null"]


@pytest.mark.parametrize("value, kind", [(42, "integer"), (True, "boolean"), (["a"], "list"), ({"a": 1}, "mapping")])
def test_string_refuses_other_types_even_when_nullable(value, kind):
    check = Checker()
    assert check.string(value, "lab.x", nullable=True) is False
    assert check.errors == ["lab.x: must be a string, got %s" % kind]


# ------------------------------------------------------------ check_abs_path

@pytest.mark.parametrize("value", ["/var/lib/libvirt/images", "/srv/lab-images/", "/", "/srv/x..y/.hidden",
                                   "/srv/a_b.c"])
def test_plain_absolute_path_is_accepted(value):
    check = Checker()
    assert check_abs_path(check, value, "lab.libvirt.images_dir") is True
    assert check.errors == []


@pytest.mark.parametrize("value", ["/var/log/../../etc", "/var/log/..", "/..", "/var/./log", "/var/log/.",
                                   "/./"])
def test_dot_and_dot_dot_components_are_refused(value):
    check = Checker()
    assert check_abs_path(check, value, "lab.libvirt.images_dir") is False
    assert check.errors == ["lab.libvirt.images_dir: must not contain '.' or '..' components"]


@pytest.mark.parametrize("value", ["relative/dir", "./images", "~/images", "/var/log/x y", "/var/log/<x>",
                                   "/var/log/$(id)", "/var/log/`id`", "/a;b", "/a|b", "/a&b", "/a'b", '/a"b',
                                   "/a*b", "/a\\b", "/var/log\n", ""])
def test_metacharacters_and_relative_paths_are_refused(value):
    check = Checker()
    assert check_abs_path(check, value, "lab.libvirt.images_dir") is False
    assert check.errors == ["lab.libvirt.images_dir: %r is not a valid absolute path (letters, digits, '/', '.', "
                            "'_', '-'; no '..')" % value]


def test_abs_path_may_be_null_only_when_nullable():
    check = Checker()
    check_abs_path(check, None, "lab.x", nullable=True)
    assert check.errors == []
    assert check_abs_path(check, None, "lab.x") is False
    assert check.errors == ["lab.x: must be a string, got null"]


# --------------------------------------------------------------- is_wildcard

@pytest.mark.parametrize("address", ["0.0.0.0", "::", "0:0::0", "::ffff:0.0.0.0"])
def test_wildcard_addresses(address):
    assert is_wildcard(ipaddress.ip_address(address)) is True


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "::ffff:127.0.0.1", "192.168.122.1", "fd00::1"])
def test_concrete_addresses_are_not_wildcards(address):
    assert is_wildcard(ipaddress.ip_address(address)) is False


# ------------------------------------------------- refuse_control_characters

CONTROL_MESSAGE = ("contains a control character (newline, tab, escape...); these are refused everywhere "
                   "because they add lines to files and commands")


def test_clean_description_has_no_errors():
    check = Checker()
    refuse_control_characters(check, {"name": "mylab", "nodes": [{"vcpus": 8, "nics": ["a"]}], 3: None,
                                      "flag": True}, "lab")
    assert check.errors == []


@pytest.mark.parametrize("char", ["\n", "\r", "\t", "\x00", "\x1b", "\x1f", "\x7f"])
def test_every_control_character_is_refused(char):
    check = Checker()
    refuse_control_characters(check, "abc" + char + "def", "lab.name")
    assert check.errors == ["lab.name: " + CONTROL_MESSAGE]


def test_nested_values_are_found_by_path():
    check = Checker()
    lab = {"name": "ok", "network": {"bridge": "br\n0"},
           "nodes": [{"name": "a", "nics": ["x", "y\tz"]}, {"name": "b\x1b"}]}
    refuse_control_characters(check, lab, "lab")
    assert check.errors == [
        "lab.network.bridge: " + CONTROL_MESSAGE,
        "lab.nodes[0].nics[1]: " + CONTROL_MESSAGE,
        "lab.nodes[1].name: " + CONTROL_MESSAGE,
    ]


def test_keys_are_checked_as_well_as_their_values():
    check = Checker()
    refuse_control_characters(check, {"bmc": {"user\nname": "admin", "bad\tkey": "x\ny"}}, "lab")
    assert check.errors == [
        "lab.bmc.bad\tkey: key contains a control character",
        "lab.bmc.bad\tkey: " + CONTROL_MESSAGE,
        "lab.bmc.user\nname: key contains a control character",
    ]


def test_the_refused_value_is_not_echoed():
    check = Checker()
    refuse_control_characters(check, {"bmc": {"password": SECRET + "\n"}}, "lab")
    assert check.errors == ["lab.bmc.password: " + CONTROL_MESSAGE]
    assert SECRET not in repr(check.errors)


# ------------------------------------------------------------- check_address

@pytest.mark.parametrize("value", ["127.0.0.1", "::1", "192.168.255.200", "fd00::1", "0.0.0.0"])
def test_ip_address_is_accepted(value):
    check = Checker()
    assert check_address(check, value, "lab.x") is True
    assert check.errors == []


@pytest.mark.parametrize("value", ["localhost", "300.1.1.1", "127.0.0.1/8", "", "192.168.255.x", " 127.0.0.1"])
def test_not_an_ip_address(value):
    check = Checker()
    assert check_address(check, value, "lab.x") is False
    assert check.errors == ["lab.x: %r is not an IP address" % value]


@pytest.mark.parametrize("value, kind", [(127, "integer"), (None, "null"), (["127.0.0.1"], "list")])
def test_address_of_another_type(value, kind):
    check = Checker()
    assert check_address(check, value, "lab.x") is False
    assert check.errors == ["lab.x: must be an IP address, got %s" % kind]


# ---------------------------------------------------------- check_public_key
# Through the lab_public_key filter only registration is tested (test_filters.py); the checks are here.

def _key_line(named, declared=None, comment="user@host"):
    """A public key line whose blob names ``named`` and whose first field says ``declared``."""
    blob = struct.pack(">I", len(named)) + named.encode("ascii") + struct.pack(">I", 32) + b"\x01" * 32
    return "%s %s %s" % (declared or named, base64.b64encode(blob).decode("ascii"), comment)


def _key_error(text, path="lab.tripleo.ssh_public_key"):
    with pytest.raises(LabError) as info:
        check_public_key(text, path)
    return info.value.errors


@pytest.mark.parametrize("kind", ["ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "sk-ssh-ed25519@openssh.com"])
def test_public_key_line_is_returned_stripped(kind):
    line = _key_line(kind)
    assert check_public_key("# my key\n\n  " + line + "  \n") == line


def test_a_private_key_is_refused_naming_the_path():
    text = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
    assert _key_error(text, "lab.key") == ["lab.key: is a private key; give the .pub file"]


@pytest.mark.parametrize("text, count", [("", 0), (None, 0), ("# only a comment\n", 0),
                                         (_key_line("ssh-ed25519") + "\n" + _key_line("ssh-rsa") + "\n", 2)])
def test_exactly_one_key_line(text, count):
    assert _key_error(text) == [
        "lab.tripleo.ssh_public_key: must hold exactly one public key line, found %d lines" % count]


@pytest.mark.parametrize("text", ["ssh-dss AAAAB3NzaC1kc3M user", "ssh-ed25519", "hello world"])
def test_not_an_openssh_public_key(text):
    assert _key_error(text) == ["lab.tripleo.ssh_public_key: is not an OpenSSH public key (expected a line such "
                                "as 'ssh-ed25519 AAAA... comment')"]


@pytest.mark.parametrize("text, kind", [
    (_key_line("ssh-ed25519", declared="ssh-rsa"), "ssh-rsa"),  # the blob names another type
    ("ssh-ed25519 AAAA!!!notbase64 user", "ssh-ed25519"),
    ("ssh-ed25519 AAAAkey user@host", "ssh-ed25519"),  # looks like a key, decodes to nothing
    ("ssh-ed25519 AA== user", "ssh-ed25519"),  # too short for the length field
])
def test_key_data_must_decode_to_the_declared_type(text, kind):
    assert _key_error(text) == ["lab.tripleo.ssh_public_key: is not a valid %s public key (its key data does "
                                "not decode to one)" % kind]
