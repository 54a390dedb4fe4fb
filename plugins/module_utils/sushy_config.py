# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The files of a lab's Redfish emulator (sushy-tools): its configuration, whose first lines
are the lab's ownership mark, the domains it serves, its htpasswd, its unit, the stamp of what
it started with, and what keeps it running (``service``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil
import traceback

try:
    import bcrypt
    BCRYPT_IMPORT_ERROR = None
except ImportError:
    bcrypt = None
    BCRYPT_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.labkit.tripleo.plugins.module_utils import file_owner, libvirt_conn, ownership, service

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


def paths(config_dir, lab):
    """The lab's emulator directory, and its configuration and password files in it."""
    directory = lab_dir(config_dir, lab)
    return directory, os.path.join(directory, CONFIG_FILE), os.path.join(directory, AUTH_FILE)


def make_private_dir(directory):
    """The lab's emulator directory and its parent (the lab's), both 0700."""
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o700)
    for path in (os.path.dirname(directory), directory):
        os.chmod(path, 0o700)


def remove_dir(directory, others):
    """Remove the lab's emulator directory, then its parent and ``others`` when they are empty: no
    empty directory of ours is left behind, and one another lab still uses stays."""
    if os.path.isdir(directory):
        shutil.rmtree(directory)
    for path in (os.path.dirname(directory),) + tuple(others):
        if os.path.isdir(path) and not os.listdir(path):
            os.rmdir(path)


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


def wanted_files(params, config_path, auth_path, allowed):
    """{path: text} of the configuration and the htpasswd as this run wants them."""
    return {
        config_path: render_config(params, auth_path, allowed),
        auth_path: password_line(service.read_text(auth_path), params["username"], params["password"]),
    }


def start_action(running, definition_changed, started_with_these):
    """``unchanged``, ``restarted`` or ``started``. The files may be new while the process still
    runs the old ones (a run killed between writing them and the restart): a running emulator
    is left alone only when ``started_with_these()`` (its stamp) says it started with them."""
    if running and not definition_changed and started_with_these():
        return "unchanged"
    return "restarted" if running else "started"


def started_digest(files):
    """One digest of the files ({path: text}) an emulator is started with."""
    return file_owner.contents_digest(files)


def runs_config(cmdline, config_path):
    """Whether a /proc cmdline (NUL-separated) is an emulator started with ``config_path``."""
    args = [a for a in cmdline.split("\0") if a]
    return any(os.path.basename(a).startswith("sushy-emulator") for a in args) and config_path in args


def keeper(module, params, config_path, name=None):
    """What keeps the lab's emulator running (module_utils/service), by name or as I(supervisor) says."""
    name = name or service.keeper_name(params["supervisor"])
    if name == "systemd":
        return service.SystemdUnit(module, unit_name(params["lab"]), render_unit(params, config_path))
    return service.DetachedProcess(
        module, [params["command"], "--config", config_path],
        os.path.join(params["run_dir"], "redfish-%s.pid" % params["lab"]),
        os.path.join(params["log_dir"], "redfish-%s.log" % params["lab"]),
        lambda cmdline: runs_config(cmdline, config_path))


def former_keepers(module, params, config_path):
    """Whichever may have kept the emulator before: the supervisor setting may have changed since."""
    keepers = [keeper(module, params, config_path, "process")]
    if service.systemd_is_init() or params["supervisor"] == "systemd":
        keepers.append(keeper(module, params, config_path, "systemd"))
    return keepers


def restart(supervisor, stamp_path):
    """Stop and start the emulator, its stamp removed first (it is written again once the emulator
    answers); returns what ``supervisor.start()`` does."""
    if os.path.exists(stamp_path):
        os.remove(stamp_path)
    supervisor.stop()
    return supervisor.start()


def allowed_instances(module, params):
    """Domain names and UUIDs of ``systems`` (SUSHY_EMULATOR_ALLOWED_INSTANCES), and the names of
    the domains that do not exist."""
    conn = libvirt_conn.connect(module, params["libvirt_uri"])
    allowed, missing = set(), []
    for name in params["systems"]:
        dom = libvirt_conn.lookup(conn.lookupByName, name)
        if dom is None:
            missing.append(name)
        else:
            allowed.update([name, dom.UUIDString()])
    return allowed, missing


def check_config_owner(module, params, config_path, text, result, refusal):
    """Fail unless the configuration at ``config_path`` is absent or this lab's (ownership.verdict)."""
    if text is None:
        return
    found = config_mark(text)
    if ownership.verdict(found, params) == ownership.FOREIGN:
        remedy = ownership.remedy([found[0]], params["lab"])
        module.fail_json(msg="%s was not written by labkit.tripleo for lab %s (owner: %s); %s%s"
                         % (config_path, params["lab"], ownership.describe(*found), refusal,
                            "; " + remedy if remedy else ""), **result)
