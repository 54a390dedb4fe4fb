"""Hostile lab descriptions: each is refused by a real run before anything on the host changes."""
import copy
import json
import os
import subprocess

import pytest

from conftest import REPO, RECORDS, base_lab, count, run, write_lab

TRIPLEO = {"undercloud": {"local_ip": "192.168.255.1/24"}}

# (where, value, the field the error must name)
HOSTILE = [
    ("name", "lab\nx", "lab.name"),
    ("name", "a_b", "lab.name"),
    ("nodes.0.name", "n" * 64, "lab.nodes[0].name"),
    ("nodes.0.name", "-rf", "lab.nodes[0].name"),
    ("nodes.0.profile", "compute\n[other]", "lab.nodes[0].profile"),
    ("network.bridge", "-br", "lab.network.bridge"),
    ("network.bridge", "..", "lab.network.bridge"),
    ("network.uplink", ".", "lab.network.uplink"),
    ("network.name", "net'><x", "lab.network.name"),
    ("bmc.address", "::ffff:0.0.0.0", "lab.bmc.address"),
    ("bmc.address", "0.0.0.0", "lab.bmc.address"),
    ("bmc.allow_from", ["0.0.0.0/0"], "lab.bmc.allow_from[0]"),
    ("bmc.allow_from", ["::/0"], "lab.bmc.allow_from[0]"),
    ("bmc.username", "ad:min", "lab.bmc.username"),
    ("bmc.password", "tab\tpass", "lab.bmc.password"),
    ("bmc.password", "pässwörd", "lab.bmc.password"),
    ("bmc.password", "p" * 21, "lab.bmc.password"),
    ("libvirt.images_dir", "/var/lib/../../etc", "lab.libvirt.images_dir"),
    ("libvirt.images_dir", "/tmp/x;touch /tmp/p", "lab.libvirt.images_dir"),
    ("libvirt.console_log_dir", "relative/dir", "lab.libvirt.console_log_dir"),
    ("tripleo.rc_file", "/x; touch /tmp/p #", "lab.tripleo.rc_file"),
    ("tripleo.stack_home", "/home/stack\n", "lab.tripleo.stack_home"),
    ("tripleo.openstack_command", "openstack; reboot", "lab.tripleo.openstack_command"),
    ("tripleo.undercloud_image", "/etc/shadow", "lab.tripleo.undercloud_image"),
    ("tripleo.undercloud.extra", {"local_ip": "10.0.0.1/24"}, "lab.tripleo.undercloud.extra.local_ip"),
    ("tripleo.undercloud.extra", {"x\n[ctlplane-subnet]": "1"}, "lab.tripleo.undercloud.extra"),
    ("tripleo.undercloud.extra", {"enable_ironic": "true\nlocal_ip = 1.2.3.4/24"},
     "lab.tripleo.undercloud.extra.enable_ironic"),
    ("tripleo.undercloud.local_interface", "-eth0", "lab.tripleo.undercloud.local_interface"),
    ("tripleo.deploy.templates", "/usr/share/t $(reboot)", "lab.tripleo.deploy.templates"),
]


def _set(lab, dotted, value):
    keys = dotted.split(".")
    target = lab
    for key in keys[:-1]:
        key = int(key) if key.isdigit() else key
        if isinstance(target, dict) and key not in target:
            target[key] = {}
        target = target[key]
    last = keys[-1]
    target[int(last) if last.isdigit() else last] = value


def _host():
    out = subprocess.run(["/usr/bin/python3", str(REPO / "tests" / "host_state.py")], check=True,
                         stdout=subprocess.PIPE, universal_newlines=True).stdout
    state = json.loads(out)
    state["records"] = sorted(os.listdir(RECORDS)) if os.path.isdir(RECORDS) else []
    return state


@pytest.fixture(scope="module")
def host_before():
    return _host()


@pytest.mark.parametrize("dotted, value, field", HOSTILE, ids=["%s=%r" % (d, v)[:60] for d, v, _unused in HOSTILE])
def test_hostile_input_is_refused_naming_the_field_before_any_change(tmp_path, host_before, dotted, value, field):
    lab = base_lab()
    if dotted.startswith("tripleo."):
        lab["tripleo"] = copy.deepcopy(TRIPLEO)
    _set(lab, dotted, value)
    count("inputs tried")
    rc, out = run("site.yml", write_lab(tmp_path, lab))
    assert rc != 0, out[-3000:]
    assert field in out, out[-3000:]
    assert "invalid lab description" in out or "lab_public_key" in out, out[-3000:]
    # Nothing at all on the host, the lab's lock and record included.
    assert _host() == host_before
    count("inputs refused")


def test_a_private_key_as_ssh_public_key_is_refused(tmp_path, host_before):
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    lab = base_lab()
    lab["undercloud"] = {"name": "ifault-uc", "vcpus": 1, "memory_mb": 512, "disk_gb": 1, "nics": ["access-100"]}
    lab["tripleo"] = {"undercloud_image": "/var/lib/libvirt/images/x.qcow2", "ssh_public_key": str(key),
                      "management": {"address": "10.0.0.2/24"}}
    lab["tripleo"].update(copy.deepcopy(TRIPLEO))
    count("inputs tried")
    rc, out = run("site.yml", write_lab(tmp_path, lab))
    assert rc != 0
    assert "lab.tripleo.ssh_public_key: is a private key" in out, out[-3000:]
    assert _host() == host_before
    count("inputs refused")
