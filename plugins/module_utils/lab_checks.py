# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The checking half of the lab model: the error type, the checker that collects every
error by field path, and the checks of values that reach files, commands and networks.

Pure Python, shared by every part of the model (``lab_model``, ``lab_network``, ``lab_tripleo``)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import ipaddress
import re
import struct

# Linux interface names are limited to 15 bytes (IFNAMSIZ - 1).
IFNAME_MAX = 15
# Names become domain names, file names (<lab>_<vm>-vdz.qcow2 and its temporary twin) and DNS
# labels: 63 characters keeps every derived name far below the 255-byte file name limit.
NAME_MAX = 63
# \Z, not $: '$' also matches before a trailing newline, which would let "name\n" through.
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,%d}\Z" % (NAME_MAX - 1))
# No '_' in lab names: '_' separates the lab from the VM in file names (<lab>_<vm>-vda.qcow2),
# so lab 'a' with VM 'b-c' and lab 'a-b' with VM 'c' never share a file.
LAB_NAME_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,31}\Z")
# Not '-' first (an option to every command), not '.' or '..' (directories under /sys/class/net).
IFNAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}\Z")
# Printable ASCII without space; no ':' either, which separates user and password in htpasswd.
USERNAME_RE = re.compile(r"[!-9;-~]{1,16}\Z")
# IPMI 2.0 passwords are at most 20 bytes; printable ASCII without space survives every config file.
PASSWORD_RE = re.compile(r"[!-~]{1,20}\Z")
# Paths that reach XML and file operations: no spaces, quotes or shell/XML metacharacters.
ABS_PATH_RE = re.compile(r"/[A-Za-z0-9_./-]*\Z")
PATH_WHAT = "absolute path (letters, digits, '/', '.', '_', '-'; no '..')"
# A command name or path: no shell metacharacters, not an option.
COMMAND_RE = re.compile(r"[A-Za-z0-9_/][A-Za-z0-9_./-]*\Z")
# Keys of undercloud.conf's [DEFAULT] section.
CONF_KEY_RE = re.compile(r"[a-z][a-z0-9_]{0,62}\Z")
# Anything below space and DEL: a newline in a value adds keys, sections or commands downstream.
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


class LabError(ValueError):
    """A lab description that cannot be built; ``errors`` lists every problem."""

    def __init__(self, errors):
        self.errors = list(errors)
        super(LabError, self).__init__(
            "invalid lab description:\n" + "\n".join("  - " + e for e in self.errors)
        )


class Missing(object):
    def __repr__(self):
        return "<required>"


REQUIRED = Missing()


class Checker(object):
    """Collects errors while walking the description."""

    def __init__(self):
        self.errors = []

    def error(self, path, message):
        self.errors.append("%s: %s" % (path, message))

    def mapping(self, value, path, schema):
        """Check a dict against ``schema`` {key: default or REQUIRED}.

        Returns a dict with defaults filled in, or None when ``value`` is not a
        dict (the error is recorded).
        """
        if not isinstance(value, dict):
            self.error(path, "must be a mapping, got %s" % type_name(value))
            return None
        for key in sorted(set(value) - set(schema), key=str):
            self.error("%s.%s" % (path, key), "unknown key (known: %s)" % ", ".join(sorted(schema)))
        result = {}
        for key, default in schema.items():
            if key in value:
                result[key] = value[key]
            elif default is REQUIRED:
                self.error("%s.%s" % (path, key), "is required")
                result[key] = None
            else:
                result[key] = default
        return result

    def integer(self, value, path, minimum=None, maximum=None):
        # bool is an int subclass in Python; "true" as a size is a typo, not 1.
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(path, "must be an integer, got %s" % type_name(value))
            return False
        if minimum is not None and value < minimum:
            if minimum == 1 and maximum is None:
                self.error(path, "must be a positive integer, got %d" % value)
            else:
                self.error(path, "must be between %d and %s, got %d" % (minimum, maximum if maximum is not None else "infinity", value))
            return False
        if maximum is not None and value > maximum:
            if minimum is None:
                self.error(path, "must be at most %d, got %d" % (maximum, value))
            else:
                self.error(path, "must be between %d and %d, got %d" % (minimum, maximum, value))
            return False
        return True

    def string(self, value, path, pattern=None, what=None, nullable=False):
        if value is None and nullable:
            return True
        if not isinstance(value, str):
            self.error(path, "must be a string, got %s" % type_name(value))
            return False
        if pattern is not None and not pattern.match(value):
            self.error(path, "%r is not a valid %s" % (value, what or "value"))
            return False
        return True

    def sequence(self, value, path):
        if not isinstance(value, list):
            self.error(path, "must be a list, got %s" % type_name(value))
            return False
        return True


def type_name(value):
    if value is None:
        return "null"
    return {bool: "boolean", int: "integer", float: "number", str: "string",
            list: "list", dict: "mapping"}.get(type(value), type(value).__name__)


def refuse_control_characters(check, value, path):
    """Every string of the description, keys included, wherever it ends up later."""
    if isinstance(value, str):
        if CONTROL_RE.search(value):
            # The value itself is not echoed: it may be a password.
            check.error(path, "contains a control character (newline, tab, escape...); these are refused "
                              "everywhere because they add lines to files and commands")
    elif isinstance(value, dict):
        for key in sorted(value, key=str):
            child = "%s.%s" % (path, key)
            if isinstance(key, str) and CONTROL_RE.search(key):
                check.error(child, "key contains a control character")
            refuse_control_characters(check, value[key], child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            refuse_control_characters(check, item, "%s[%d]" % (path, index))


def check_abs_path(check, value, path, nullable=False):
    if not check.string(value, path, ABS_PATH_RE, PATH_WHAT, nullable=nullable) or value is None:
        return False
    if "/../" in value + "/" or "/./" in value + "/":
        check.error(path, "must not contain '.' or '..' components")
        return False
    return True


def is_wildcard(address):
    """0.0.0.0, :: and ::ffff:0.0.0.0 all bind every address."""
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_unspecified or (mapped is not None and mapped.is_unspecified)


PUBLIC_KEY_TYPES = (
    "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com")


def check_public_key(text, path="lab.tripleo.ssh_public_key"):
    """The one OpenSSH public key line in ``text``, or LabError naming ``path``.

    The file is copied into the undercloud's seed; a private key (or any other file) named
    here by mistake must never get that far. The key's own blob names its type, so the
    line is checked against itself, not only by its look.
    """
    lines = [line.strip() for line in (text or "").splitlines() if line.strip() and not line.startswith("#")]
    problem = None
    if "PRIVATE KEY" in (text or ""):
        problem = "is a private key; give the .pub file"
    elif len(lines) != 1:
        problem = "must hold exactly one public key line, found %d lines" % len(lines)
    else:
        fields = lines[0].split()
        if len(fields) < 2 or fields[0] not in PUBLIC_KEY_TYPES:
            problem = "is not an OpenSSH public key (expected a line such as 'ssh-ed25519 AAAA... comment')"
        else:
            try:
                blob = base64.b64decode(fields[1].encode("ascii"), validate=True)
                length = struct.unpack(">I", blob[:4])[0]
                named = blob[4:4 + length].decode("ascii")
            except (ValueError, UnicodeError, struct.error, binascii.Error):
                named = None
            if named != fields[0]:
                problem = "is not a valid %s public key (its key data does not decode to one)" % fields[0]
    if problem:
        raise LabError(["%s: %s" % (path, problem)])
    return lines[0]


def check_address(check, value, path):
    if not isinstance(value, str):
        check.error(path, "must be an IP address, got %s" % type_name(value))
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        check.error(path, "%r is not an IP address" % value)
        return False
    return True
