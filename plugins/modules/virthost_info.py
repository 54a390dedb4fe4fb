#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: virthost_info
short_description: What a virthost offers a lab, and the libvirt domain type to use
version_added: "0.1.0"
description:
  - Reads hardware virtualisation (C(vmx)/C(svm) CPU flags and C(/dev/kvm)), nested
    virtualisation (C(kvm_intel)/C(kvm_amd) C(nested) parameter), the user and group qemu runs
    as, whether systemd is the init system and whether firewalld is running.
  - Chooses the libvirt domain type - C(kvm) with hardware virtualisation, C(qemu) (TCG)
    without - and says why. C(/dev/kvm) alone is not enough, since some kernels offer it
    without VT-x/AMD-V (for example the PVM module), where ordinary guests do not boot.
  - Says which Open vSwitch datapath the lab's bridge will get (the kernel one where the
    C(openvswitch) module is loaded, the userspace C(netdev) one otherwise), since the domains'
    NICs must drop their offloads on the userspace datapath.
  - Warns when C(/dev/kvm) is not readable by the qemu user's group (a host without udev), since
    libvirt then re-probes QEMU on every call, each C(virsh define) takes 30 s or more, and a
    BMC's boot-device change times out.
  - Says which of the given packages are not installed (one C(dpkg-query) or C(rpm) call) and
    whether each given virtualenv holds its pinned version (read from its C(.dist-info)), so that
    a re-run asks the package manager and pip nothing when all is there (about 2.5 s less per run).
  - With I(vbmcd), says whether VirtualBMC's daemon listens for its clients (its listening socket,
    found in C(/proc), held by a C(vbmcd) process) and whether the systemd unit the lab keeps it in
    is written and enabled as M(labkit.tripleo.vbmcd) would write it; the phase then runs that module
    (which asks vbmcd, through a client start-up of its own) only when one of them is not so.
  - Changes nothing.
options:
  vbmcd:
    description: VirtualBMC's daemon, to be read as described above.
    type: dict
    suboptions:
      venv:
        description: The virtualenv VirtualBMC is installed in.
        type: path
        required: true
      unit_dir:
        description: Where the lab writes its unit for vbmcd.
        type: path
        default: /etc/systemd/system
  packages:
    description:
      - Packages the virthost needs, by OS family (C(Debian), C(RedHat)); those of the host's family
        are checked.
    type: dict
    default: {}
  firewall_packages:
    description: Packages it needs too when firewalld is running.
    type: list
    elements: str
    default: []
  venvs:
    description: Virtualenvs and the one pinned requirement each must hold.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The virtualenv.
        type: path
        required: true
      requirement:
        description: C(name==version).
        type: str
        required: true
  domain_type:
    description: C(auto) chooses; C(kvm) or C(qemu) forces, with a warning when kvm is forced but unavailable.
    type: str
    choices: [auto, kvm, qemu]
    default: auto
extends_documentation_fragment:
  - labkit.tripleo.attributes
author:
  - labkit.tripleo contributors (@labkit-tripleo)
"""

EXAMPLES = r"""
- name: Read the virthost
  labkit.tripleo.virthost_info:
  register: virthost
"""

RETURN = r"""
os_family:
  description: The host's OS family, as Ansible's facts name it (from C(/etc/os-release)).
  returned: always
  type: str
  sample: Debian
vbmcd:
  description:
    - C(listening) is whether a vbmcd process listens on VirtualBMC's server port; C(unit_current)
      whether the lab's unit for it is as wanted and enabled. Null without I(vbmcd).
  returned: always
  type: dict
  sample: {listening: true, unit_current: false}
python:
  description: The Python interpreter the module ran with (the one virtualenvs are made with).
  returned: always
  type: str
  sample: /usr/bin/python3
packages_wanted:
  description: I(packages), with I(firewall_packages) when firewalld runs.
  returned: always
  type: list
  elements: str
packages_missing:
  description: Those of RV(packages_wanted) not installed; null when the host has neither dpkg-query nor rpm.
  returned: always
  type: list
  elements: str
  sample: [xorriso]
venvs_current:
  description: The paths of I(venvs) that hold their requirement.
  returned: always
  type: list
  elements: str
  sample: [/opt/labkit/vbmc]
domain_type:
  description: libvirt domain type the lab uses.
  returned: always
  type: str
  sample: qemu
domain_type_reason:
  description: Why.
  returned: always
  type: str
  sample: "the CPU has no vmx/svm flag: VMs run under TCG emulation (slow, but they run)"
hardware_virtualization:
  description: Whether the CPU exposes vmx or svm and /dev/kvm exists.
  returned: always
  type: bool
nested:
  description: Whether nested virtualisation is on (null when no kvm_intel/kvm_amd module).
  returned: always
  type: bool
qemu_user:
  description: User qemu runs as.
  returned: always
  type: str
  sample: libvirt-qemu
qemu_group:
  description: Group qemu runs as.
  returned: always
  type: str
  sample: libvirt-qemu
systemd:
  description: Whether systemd is the running init system.
  returned: always
  type: bool
firewalld:
  description: Whether a firewalld process is running (read from C(/proc)).
  returned: always
  type: bool
ovs_datapath:
  description:
    - The Open vSwitch datapath a new lab bridge gets with I(datapath=auto) in
      M(labkit.tripleo.ovs_bridge) once the module is loaded (C(system)), or without it (C(netdev)).
  returned: always
  type: str
  sample: netdev
"""

import grp
import os
import pwd
import re
import sys

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.labkit.tripleo.plugins.module_utils import host_packages, service, vbmc


def cpu_flags(path="/proc/cpuinfo"):
    try:
        with open(path) as handle:
            for line in handle:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except IOError:
        pass
    return set()


def nested_enabled():
    for module in ("kvm_intel", "kvm_amd"):
        path = "/sys/module/%s/parameters/nested" % module
        if os.path.exists(path):
            with open(path) as handle:
                return handle.read().strip() in ("Y", "1")
    return None


def choose_domain_type(requested, flags, has_dev_kvm, nested):
    hardware = bool(flags & {"vmx", "svm"}) and has_dev_kvm
    if requested == "qemu":
        return "qemu", "requested in lab.libvirt.domain_type", hardware
    if requested == "kvm":
        return "kvm", "requested in lab.libvirt.domain_type", hardware
    if hardware:
        reason = "the CPU has %s and /dev/kvm exists" % ("vmx" if "vmx" in flags else "svm")
        if nested is False:
            reason += "; nested virtualisation is off, so the virthost itself is bare metal or nesting is disabled"
        return "kvm", reason, hardware
    if has_dev_kvm:
        return "qemu", ("/dev/kvm exists but the CPU has no vmx/svm flag (a KVM without hardware "
                        "virtualisation, such as PVM, cannot boot ordinary guests): VMs run under TCG"), hardware
    return "qemu", "the CPU has no vmx/svm flag: VMs run under TCG emulation (slow, but they run)", hardware


def qemu_identity(conf="/etc/libvirt/qemu.conf"):
    """The user and group libvirt runs qemu as: qemu.conf, else the distribution default."""
    found = {}
    try:
        with open(conf) as handle:
            for line in handle:
                match = re.match(r'^\s*(user|group)\s*=\s*"([^"]+)"', line)
                if match:
                    found[match.group(1)] = match.group(2).lstrip("+")
    except IOError:
        pass

    def first(kind, names):
        lookup = pwd.getpwnam if kind == "user" else grp.getgrnam
        for name in names:
            try:
                lookup(name)
                return name
            except KeyError:
                continue
        return "root"

    user = found.get("user") or first("user", ["qemu", "libvirt-qemu"])
    group = found.get("group") or first("group", ["qemu", "libvirt-qemu", "kvm"])
    return user, group


def kvm_device_private(path="/dev/kvm"):
    """True when /dev/kvm exists but only root may open it (what a host without udev has)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not mode & 0o060


def main():
    module = AnsibleModule(
        argument_spec=dict(
            domain_type=dict(type="str", choices=["auto", "kvm", "qemu"], default="auto"),
            packages=dict(type="dict", default={}),
            firewall_packages=dict(type="list", elements="str", default=[]),
            venvs=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="path", required=True),
                requirement=dict(type="str", required=True))),
            vbmcd=dict(type="dict", options=dict(
                venv=dict(type="path", required=True),
                unit_dir=dict(type="path", default="/etc/systemd/system"))),
        ),
        supports_check_mode=True,
    )
    flags = cpu_flags()
    nested = nested_enabled()
    domain_type, reason, hardware = choose_domain_type(module.params["domain_type"], flags,
                                                       os.path.exists("/dev/kvm"), nested)
    if domain_type == "kvm" and not hardware:
        module.warn("domain type kvm was requested but the virthost has no hardware virtualisation; "
                    "domains will fail to start")
    user, group = qemu_identity()
    if kvm_device_private():
        module.warn("/dev/kvm is only accessible to root (no udev rule made it root:kvm 0660): libvirt "
                    "re-probes QEMU on every call, so each domain definition takes 30 s or more and BMC "
                    "boot-device changes time out. Run 'chgrp kvm /dev/kvm; chmod 0660 /dev/kvm' and "
                    "restart libvirtd.")
    # A firewalld process, read from /proc: `firewall-cmd --state` is a Python client start-up and a
    # D-Bus round trip (~0.25 s) on every run. One that runs but does not answer D-Bus is named by
    # the firewall phase, whose first call fails saying so.
    firewalld = bool(service.processes_running("firewalld"))
    try:
        with open("/etc/os-release") as stream:
            family = host_packages.os_family(stream.read())
    except IOError:
        family = "Unknown"
    wanted = list(module.params["packages"].get(family) or []) + (module.params["firewall_packages"] if firewalld else [])
    missing = []
    if wanted:
        tools = dict((tool, module.get_bin_path(tool)) for tool in ("dpkg-query", "rpm"))
        argv = host_packages.query_command(tools, wanted)
        if argv is None:
            missing = None
        else:
            rc, out, _err = module.run_command(argv)
            missing = host_packages.missing_packages(os.path.basename(argv[0]), wanted, rc, out)
    module.exit_json(
        os_family=family,
        vbmcd=vbmc.vbmcd_state(module.params["vbmcd"]["venv"], module.params["vbmcd"]["unit_dir"])
        if module.params["vbmcd"] else None,
        python=sys.executable,
        packages_wanted=wanted,
        packages_missing=missing,
        venvs_current=[venv["path"] for venv in module.params["venvs"]
                       if host_packages.venv_current(venv["path"], venv["requirement"])],
        changed=False,
        domain_type=domain_type,
        domain_type_reason=reason,
        hardware_virtualization=hardware,
        nested=nested,
        qemu_user=user,
        qemu_group=group,
        systemd=service.systemd_is_init(),
        firewalld=firewalld,
        ovs_datapath="system" if os.path.isdir("/sys/module/openvswitch") else "netdev",
    )


if __name__ == "__main__":
    main()
