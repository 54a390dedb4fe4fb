# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The files of a lab's Redfish emulator (sushy-tools): its configuration, whose first lines
are the lab's ownership mark, its htpasswd, its unit, and the stamp of what it started with.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import traceback

try:
    import bcrypt
    BCRYPT_IMPORT_ERROR = None
except ImportError:
    bcrypt = None
    BCRYPT_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.labkit.tripleo.plugins.module_utils import file_owner, service

HEADER = "# Managed by labkit.tripleo for lab %s; rewritten on every run.\n"
INSTANCE_LINE = "# instance: %s\n"
_HEADER_RE = re.compile(r"# Managed by labkit\.tripleo for lab (\S+); rewritten on every run\.\n"
                        r"(?:# instance: (\S+)\n)?")
# sushy-tools checks the hash on every request, and Ironic polls every node's power state:
# at bcrypt's default cost (12) each request took 0.2 s of CPU here, at 8 about 15 ms. The
# hash guards a lab BMC password that the controller's artifacts and Ironic hold anyway.
BCRYPT_ROUNDS = 8
STARTED_STAMP = "started-with"
CONFIG_FILE = "emulator.conf"
AUTH_FILE = "htpasswd"


def unit_name(lab):
    return "labkit-redfish-%s.service" % lab


def lab_dir(config_dir, lab):
    return os.path.join(config_dir, lab, "redfish")


def config_mark(text):
    """(lab, instance) of a configuration's first lines; (None, None) when labkit did not write it."""
    match = _HEADER_RE.match(text or "")
    return (match.group(1), match.group(2)) if match else (None, None)


def render_config(params, auth_file, allowed):
    """The emulator's configuration: a Python file that Flask loads with from_pyfile."""
    settings = [
        ("SUSHY_EMULATOR_LISTEN_IP", params["address"]),
        ("SUSHY_EMULATOR_LISTEN_PORT", params["port"]),
        ("SUSHY_EMULATOR_LIBVIRT_URI", params["libvirt_uri"]),
        ("SUSHY_EMULATOR_AUTH_FILE", auth_file),
        # Names for Ironic's system paths, UUIDs for the Systems collection and the actions under it.
        ("SUSHY_EMULATOR_ALLOWED_INSTANCES", sorted(allowed)),
        ("SUSHY_EMULATOR_IGNORE_BOOT_DEVICE", False),
    ]
    mark = HEADER % params["lab"]
    if params.get("instance"):
        mark += INSTANCE_LINE % params["instance"]
    return mark + "".join("%s = %r\n" % item for item in settings)


def render_unit(params, config_path):
    return service.render_unit("lab %s" % params["lab"], "Redfish BMC (sushy-tools) of labkit lab %s" % params["lab"],
                               [[params["command"], "--config", config_path]],
                               after=("network-online.target", "libvirtd.service"))


def password_line(existing_text, username, password):
    """The htpasswd line for ``username``: the existing one while the password still matches it.

    bcrypt salts every hash, so hashing again would rewrite the file (and restart the emulator)
    on every run. A hash of another cost is replaced.
    """
    for line in (existing_text or "").splitlines():
        user, sep, digest = line.partition(":")
        if sep and user == username and digest.startswith("$2") and digest[4:7] == "%02d$" % BCRYPT_ROUNDS:
            try:
                if bcrypt.checkpw(password.encode("utf-8"), digest.encode("ascii")):
                    return line + "\n"
            except ValueError:
                pass
    digest = bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=BCRYPT_ROUNDS))
    return "%s:%s\n" % (username, digest.decode("ascii"))


def started_digest(files):
    """One digest of the files ({path: text}) an emulator is started with."""
    return file_owner.contents_digest(files)


def runs_config(cmdline, config_path):
    """Whether a /proc cmdline (NUL-separated) is an emulator started with ``config_path``."""
    args = [a for a in cmdline.split("\0") if a]
    return any(os.path.basename(a).startswith("sushy-emulator") for a in args) and config_path in args
