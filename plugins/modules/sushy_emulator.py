#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sushy_emulator
short_description: The Redfish BMC of a lab - one sushy-tools emulator for all its libvirt domains
version_added: "0.1.0"
description:
  - Runs one C(sushy-emulator) (sushy-tools) per lab, listening on one TCP port, serving the lab's
    libvirt domains as Redfish systems C(/redfish/v1/Systems/<domain name>) behind HTTP basic
    authentication, and then proves it by reading every system's power state through Redfish.
  - The emulator serves only the domains listed in I(systems), by name and by UUID
    (C(SUSHY_EMULATOR_ALLOWED_INSTANCES)); other domains on the virthost stay invisible to it.
  - Its configuration and password file live in I(config_dir)/<lab>/redfish, both mode 0600. The password
    file holds a bcrypt hash, kept as long as the password still matches, so a second run changes nothing.
  - A changed configuration or password restarts the emulator; so does a running emulator that was not
    started with the files as they are now (a run killed after writing them), which a stamp written
    after each start tells. Before starting, a port already
    served by another process is refused, and nothing is changed.
  - Under systemd it runs as the unit C(labkit-redfish-<lab>.service). Where PID 1 is not systemd
    (containers, CI runners) the module starts it as a detached process and keeps its pid in I(run_dir).
  - C(state=info) only reads - every system must answer - and fails naming each one that does not.
  - Written for this collection because no collection manages sushy-tools, and the Redfish client
    modules of community.general (C(redfish_info), C(redfish_command)) always speak https and act on one
    system per call, while sushy-tools serves plain HTTP unless given a certificate.
options:
  lab:
    description: Lab name; names the unit, the pid file and the configuration directory.
    type: str
    required: true
  systems:
    description: Names of the libvirt domains the emulator serves (the lab's overcloud nodes).
    type: list
    elements: str
    default: []
  address:
    description: Address the emulator listens on.
    type: str
    default: 127.0.0.1
  port:
    description: TCP port the emulator listens on.
    type: int
    default: 8000
  username:
    description: Redfish user name.
    type: str
    default: admin
  password:
    description: Redfish password. Never logged; stored only as a bcrypt hash.
    type: str
  libvirt_uri:
    description: libvirt URI the emulator manages domains through.
    type: str
    default: qemu:///system
  command:
    description: The C(sushy-emulator) executable (in the virtualenv it was installed into).
    type: path
    default: sushy-emulator
  config_dir:
    description: Directory under which each lab gets C(<lab>/redfish).
    type: path
    default: /etc/labkit
  run_dir:
    description: Where the pid file goes when no systemd runs the emulator.
    type: path
    default: /run/labkit
  log_dir:
    description: Where the emulator's log goes when no systemd runs it (systemd keeps it in the journal).
    type: path
    default: /var/log/labkit
  supervisor:
    description:
      - What keeps the emulator running. C(auto) picks C(systemd) when PID 1 is systemd, else C(process).
    type: str
    choices: [auto, systemd, process]
    default: auto
  timeout:
    description: Seconds to wait for the emulator to answer after a start.
    type: int
    default: 30
  state:
    description: C(present) configures, runs and checks it; C(absent) stops it and removes its files; C(info) only checks.
    type: str
    choices: [present, absent, info]
    default: present
extends_documentation_fragment:
  - labkit.tripleo.attributes
requirements:
  - bcrypt (python3-bcrypt) and the libvirt binding on the virthost
  - sushy-tools in the virtualenv of I(command)
author:
  - labkit.tripleo contributors
"""

EXAMPLES = r"""
- name: Serve the lab's nodes over Redfish
  labkit.tripleo.sushy_emulator:
    lab: default
    systems: [default-control-1, default-compute-1]
    address: 127.0.0.1
    port: 8000
    username: admin
    password: "{{ lab_bmc_password }}"
    command: /opt/labkit/sushy/bin/sushy-emulator

- name: Every node answers through Redfish
  labkit.tripleo.sushy_emulator:
    lab: default
    systems: [default-control-1, default-compute-1]
    port: 8000
    password: "{{ lab_bmc_password }}"
    state: info

- name: Stop it and remove its files
  labkit.tripleo.sushy_emulator:
    lab: default
    state: absent
"""

RETURN = r"""
action:
  description: What happened to the emulator.
  returned: always
  type: str
  sample: started
url:
  description: Base URL of the Redfish service.
  returned: always
  type: str
  sample: http://127.0.0.1:8000
supervisor:
  description: What runs the emulator, C(systemd) or C(process).
  returned: always
  type: str
changed_files:
  description: Files written this run (their content is never reported).
  returned: state=present
  type: list
  elements: str
systems:
  description: Each served system as Redfish reports it; empty in check mode when the emulator would be (re)started.
  returned: state=present or state=info
  type: list
  elements: dict
  sample:
    - {name: control-1, id: 4c4d6f1e-0000-4000-8000-000000000001, path: /redfish/v1/Systems/control-1, power_state: "Off"}
"""

import errno
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import time
import traceback

from ansible.module_utils.basic import AnsibleModule

try:
    import bcrypt
    BCRYPT_IMPORT_ERROR = None
except ImportError:
    bcrypt = None
    BCRYPT_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.labkit.tripleo.plugins.module_utils import libvirt_conn
from ansible_collections.labkit.tripleo.plugins.module_utils import redfish
from ansible_collections.labkit.tripleo.plugins.module_utils.redfish import base_url as redfish_url

HEADER = "# Managed by labkit.tripleo for lab %s; rewritten on every run.\n"
# sushy-tools checks the hash on every request, and Ironic polls every node's power state:
# at bcrypt's default cost (12) each request took 0.2 s of CPU here, at 8 about 15 ms. The
# hash guards a lab BMC password that the controller's artifacts and Ironic hold anyway.
BCRYPT_ROUNDS = 8


def unit_name(lab):
    return "labkit-redfish-%s.service" % lab


def lab_dir(config_dir, lab):
    return os.path.join(config_dir, lab, "redfish")


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
    return HEADER % params["lab"] + "".join("%s = %r\n" % item for item in settings)


def render_unit(params, config_path):
    return "\n".join([
        "# Managed by labkit.tripleo for lab %s." % params["lab"],
        "[Unit]",
        "Description=Redfish BMC (sushy-tools) of labkit lab %s" % params["lab"],
        "After=network-online.target libvirtd.service",
        "",
        "[Service]",
        "ExecStart=%s --config %s" % (params["command"], config_path),
        "Restart=on-failure",
        "UMask=0077",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ])


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


STARTED_STAMP = "started-with"


def started_digest(files):
    """One digest of the files ({path: text}) an emulator is started with."""
    digest = hashlib.sha256()
    for path, text in sorted(files.items()):
        digest.update(path.encode("utf-8") + b"\0" + text.encode("utf-8") + b"\0")
    return digest.hexdigest()


def read_text(path):
    try:
        with open(path) as handle:
            return handle.read()
    except IOError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise


def write_private(path, text):
    """Write ``text`` readable by root only, never briefly readable by others."""
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(tmp, 0o600)
    os.rename(tmp, path)


def runs_config(cmdline, config_path):
    """Whether a /proc cmdline (NUL-separated) is an emulator started with ``config_path``."""
    args = [a for a in cmdline.split("\0") if a]
    return any(os.path.basename(a).startswith("sushy-emulator") for a in args) and config_path in args


def port_answers(address, port, timeout=1.0):
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        return sock.connect_ex((address, port)) == 0
    finally:
        sock.close()


class ProcessSupervisor(object):
    """A detached emulator process, for hosts whose PID 1 is not systemd."""
    name = "process"

    def __init__(self, module, params, config_path):
        self.module = module
        self.params = params
        self.config_path = config_path
        self.pid_file = os.path.join(params["run_dir"], "redfish-%s.pid" % params["lab"])
        self.log_file = os.path.join(params["log_dir"], "redfish-%s.log" % params["lab"])

    def pid(self):
        text = read_text(self.pid_file)
        if not text or not text.strip().isdigit():
            return None
        pid = int(text.strip())
        # A pid is only ours while it still runs our command line: pids get reused.
        cmdline = read_text("/proc/%d/cmdline" % pid)
        return pid if cmdline and runs_config(cmdline, self.config_path) else None

    def running(self):
        return self.pid() is not None

    def installed(self):
        return os.path.exists(self.pid_file)

    def start(self):
        for directory in (self.params["run_dir"], self.params["log_dir"]):
            if not os.path.isdir(directory):
                os.makedirs(directory, 0o755)
        log = os.open(self.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            proc = subprocess.Popen([self.params["command"], "--config", self.config_path],
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                    # Ansible deletes the module's temporary working directory.
                                    cwd="/", close_fds=True, start_new_session=True)
        finally:
            os.close(log)
        with open(self.pid_file, "w") as handle:
            handle.write("%d\n" % proc.pid)
        return proc

    def stop(self):
        pid = self.pid()
        if pid is not None:
            os.kill(pid, signal.SIGTERM)
            deadline = time.time() + 10
            while time.time() < deadline and self.pid() is not None:
                time.sleep(0.1)
            if self.pid() is not None:
                os.kill(pid, signal.SIGKILL)
        if os.path.exists(self.pid_file):
            os.remove(self.pid_file)

    def log_tail(self):
        return (read_text(self.log_file) or "")[-1500:]

    def remove(self):
        self.stop()
        if os.path.exists(self.log_file):
            os.remove(self.log_file)


class SystemdSupervisor(object):
    name = "systemd"
    unit_dir = "/etc/systemd/system"

    def __init__(self, module, params, config_path):
        self.module = module
        self.params = params
        self.config_path = config_path
        self.unit = unit_name(params["lab"])
        self.unit_path = os.path.join(self.unit_dir, self.unit)
        self.systemctl = module.get_bin_path("systemctl", required=True)

    def run(self, *args):
        rc, out, err = self.module.run_command([self.systemctl] + list(args))
        if rc != 0:
            self.module.fail_json(msg="systemctl %s failed: %s" % (" ".join(args), (err or out).strip()))

    def running(self):
        rc, out, err = self.module.run_command([self.systemctl, "is-active", self.unit])
        return out.strip() == "active"

    def installed(self):
        return os.path.exists(self.unit_path)

    def unit_changed(self):
        return read_text(self.unit_path) != render_unit(self.params, self.config_path)

    def start(self):
        if self.unit_changed():
            with open(self.unit_path, "w") as handle:
                handle.write(render_unit(self.params, self.config_path))
            os.chmod(self.unit_path, 0o644)
            self.run("daemon-reload")
        self.run("enable", self.unit)
        self.run("restart", self.unit)

    def stop(self):
        if self.installed():
            self.run("disable", "--now", self.unit)

    def log_tail(self):
        rc, out, err = self.module.run_command(["journalctl", "-u", self.unit, "-n", "20", "--no-pager"])
        return out[-1500:]

    def remove(self):
        self.stop()
        if self.installed():
            os.remove(self.unit_path)
            self.run("daemon-reload")


def pick_supervisor(module, params, config_path):
    choice = params["supervisor"]
    if choice == "auto":
        choice = "systemd" if os.path.isdir("/run/systemd/system") else "process"
    cls = SystemdSupervisor if choice == "systemd" else ProcessSupervisor
    return cls(module, params, config_path)


def allowed_instances(module, params):
    """Domain names and UUIDs of ``systems``; fails naming the domains that do not exist."""
    conn = libvirt_conn.connect(module, params["libvirt_uri"])
    allowed, missing = set(), []
    for name in params["systems"]:
        dom = libvirt_conn.lookup(conn.lookupByName, name)
        if dom is None:
            missing.append(name)
        else:
            allowed.update([name, dom.UUIDString()])
    return allowed, missing


def read_systems(params):
    """Every system's Id and PowerState, and the names that did not answer with why."""
    base = redfish_url(params["address"], params["port"])
    systems, failures = [], []
    for name in params["systems"]:
        path = "/redfish/v1/Systems/%s" % name
        try:
            doc = redfish.request(base + path, params["username"], params["password"], timeout=5)
        except Exception as exc:  # any failure to answer is reported per system
            failures.append("%s (%s%s): %s" % (name, base, path, getattr(exc, "reason", None) or exc))
            continue
        systems.append({"name": name, "id": doc.get("Id"), "path": path, "power_state": doc.get("PowerState")})
    return systems, failures


def wait_for_systems(module, params, supervisor, proc=None):
    deadline = time.time() + params["timeout"]
    while True:
        systems, failures = read_systems(params)
        if not failures:
            return systems
        # Only a process the module started itself can be seen dying; systemd restarts its own.
        died = proc is not None and proc.poll() is not None
        if died or time.time() > deadline:
            module.fail_json(msg="the Redfish emulator of lab %s %s; systems not answering: %s"
                             % (params["lab"], "exited" if died else "did not answer in %ds" % params["timeout"],
                                "; ".join(failures)),
                             log=supervisor.log_tail())
        time.sleep(0.5)


def ensure_present(module, params):
    directory = lab_dir(params["config_dir"], params["lab"])
    config_path = os.path.join(directory, "emulator.conf")
    auth_path = os.path.join(directory, "htpasswd")
    supervisor = pick_supervisor(module, params, config_path)
    result = {"supervisor": supervisor.name, "url": redfish_url(params["address"], params["port"])}

    current_config = read_text(config_path)
    if current_config is not None and not current_config.startswith(HEADER % params["lab"]):
        module.fail_json(msg="%s was not written by labkit.tripleo for lab %s; nothing was changed"
                         % (config_path, params["lab"]), **result)
    allowed, missing = allowed_instances(module, params)
    if missing and not module.check_mode:
        module.fail_json(msg="no libvirt domain for %s: the emulator would have nothing to serve for them"
                         % ", ".join(missing), **result)
    wanted = {
        config_path: render_config(params, auth_path, allowed),
        auth_path: password_line(read_text(auth_path), params["username"], params["password"]),
    }
    changed_files = [path for path, text in sorted(wanted.items()) if read_text(path) != text]
    running = supervisor.running()
    unit_changed = isinstance(supervisor, SystemdSupervisor) and supervisor.unit_changed()
    # The files may be new while the process still runs the old ones (a run killed between
    # writing them and the restart): what counts is what the running emulator started with.
    stamp_path = os.path.join(directory, STARTED_STAMP)
    started_with = started_digest(wanted)
    if running and not changed_files and not unit_changed and read_text(stamp_path) == started_with:
        action = "unchanged"
    elif running:
        action = "restarted"
    else:
        action = "started"
    if action == "started" and port_answers(params["address"], params["port"]):
        module.fail_json(msg="%s:%d is already served by another process; nothing was changed. "
                             "Choose another lab.bmc.port." % (params["address"], params["port"]), **result)
    result.update(action=action, changed_files=changed_files)
    if module.check_mode:
        # A (re)started emulator cannot be asked yet; a running one can.
        result["systems"] = read_systems(params)[0] if action == "unchanged" else []
        return result

    if not os.path.isdir(directory):
        os.makedirs(directory, 0o700)
    for path in (os.path.dirname(directory), directory):
        os.chmod(path, 0o700)
    for path in changed_files:
        write_private(path, wanted[path])
    proc = None
    if action != "unchanged":
        if os.path.exists(stamp_path):
            os.remove(stamp_path)
        supervisor.stop()
        proc = supervisor.start()
    result["systems"] = wait_for_systems(module, params, supervisor, proc)
    if action != "unchanged":
        write_private(stamp_path, started_with)
    return result


def ensure_absent(module, params):
    directory = lab_dir(params["config_dir"], params["lab"])
    config_path = os.path.join(directory, "emulator.conf")
    result = {"url": redfish_url(params["address"], params["port"]), "action": "unchanged"}
    config = read_text(config_path)
    supervisors = [ProcessSupervisor(module, params, config_path)]
    if os.path.isdir("/run/systemd/system") or params["supervisor"] == "systemd":
        supervisors.append(SystemdSupervisor(module, params, config_path))
    if config is not None and not config.startswith(HEADER % params["lab"]):
        module.fail_json(msg="%s was not written by labkit.tripleo for lab %s; left alone" % (config_path, params["lab"]),
                         **result)
    present = [s for s in supervisors if s.installed() or s.running()]
    result["supervisor"] = present[0].name if present else None
    if config is None and not present:
        return result
    result["action"] = "removed"
    if not module.check_mode:
        for supervisor in present:
            supervisor.remove()
        if os.path.isdir(directory):
            shutil.rmtree(directory)
        # Leave no empty directory of ours behind; one another lab still uses stays.
        for path in (os.path.dirname(directory), params["config_dir"], params["run_dir"], params["log_dir"]):
            if os.path.isdir(path) and not os.listdir(path):
                os.rmdir(path)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            lab=dict(type="str", required=True),
            systems=dict(type="list", elements="str", default=[]),
            address=dict(type="str", default="127.0.0.1"),
            port=dict(type="int", default=8000),
            username=dict(type="str", default="admin"),
            password=dict(type="str", no_log=True),
            libvirt_uri=dict(type="str", default="qemu:///system"),
            command=dict(type="path", default="sushy-emulator"),
            config_dir=dict(type="path", default="/etc/labkit"),
            run_dir=dict(type="path", default="/run/labkit"),
            log_dir=dict(type="path", default="/var/log/labkit"),
            supervisor=dict(type="str", choices=["auto", "systemd", "process"], default="auto"),
            timeout=dict(type="int", default=30),
            state=dict(type="str", choices=["present", "absent", "info"], default="present"),
        ),
        required_if=[("state", "present", ("password",)), ("state", "info", ("password",))],
        supports_check_mode=True,
    )
    params = module.params
    state = params["state"]
    if state == "absent":
        result = ensure_absent(module, params)
        module.exit_json(changed=result["action"] != "unchanged", **result)
    if state == "info":
        systems, failures = read_systems(params)
        url = redfish_url(params["address"], params["port"])
        if failures:
            module.fail_json(msg="Redfish systems not answering: %s" % "; ".join(failures), systems=systems, url=url)
        module.exit_json(changed=False, systems=systems, url=url, action="unchanged")
    if bcrypt is None:
        module.fail_json(msg="the bcrypt Python library is missing on the virthost (python3-bcrypt)",
                         exception=BCRYPT_IMPORT_ERROR)
    if not os.path.isfile(params["command"]) and not module.check_mode:
        module.fail_json(msg="%s does not exist: install sushy-tools first" % params["command"])
    result = ensure_present(module, params)
    module.exit_json(changed=result["action"] != "unchanged" or bool(result["changed_files"]), **result)


if __name__ == "__main__":
    main()
