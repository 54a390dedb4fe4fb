"""Whole-lab snapshots on a real lab: a known pattern written into a node's disk comes back after a
revert (qemu-io reads it), every VM comes back in its saved power state, a BMC still drives the
reverted domain, a snapshot the lab did not take is refused, and teardown leaves none."""
import os
import re
import subprocess

import libvirt
import pytest

from conftest import REPO, host_state, playbook

DISK = "/var/lib/libvirt/images/itest_itest-compute-1-vda.qcow2"
RUNNING_VM, OFF_VM = "itest-control-1", "itest-compute-1"


def snapshot(built, action, name=None):
    args = ["-e", "@" + built, "-e", "snapshot_action=%s" % action]
    if name:
        args += ["-e", "snapshot_name=%s" % name]
    return playbook("playbooks/snapshot.yml", *args)


def qemu_io(command):
    return subprocess.run(["qemu-io", "-f", "qcow2", "-c", command, DISK], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True, check=False)


def ipmitool(port, *command):
    password = (REPO / "artifacts" / "itest" / "bmc-password").read_text().strip()
    return subprocess.run(["ipmitool", "-I", "lanplus", "-H", "127.0.0.1", "-p", str(port), "-U", "admin", "-E"]
                          + list(command), env=dict(os.environ, IPMI_PASSWORD=password),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)


def state(name):
    return libvirt.open("qemu:///system").lookupByName(name).state()[0]


def seconds(out):
    match = re.search(r"in ([0-9.]+) s", out)
    return float(match.group(1)) if match else None


@pytest.fixture
def built(itest_lab):
    rc, out = playbook("site.yml", "-e", "@" + itest_lab)
    assert rc == 0, out[-3000:]
    return itest_lab


def test_revert_brings_back_the_disks_and_the_power_state_of_the_save(built):
    assert "wrote 65536/65536" in qemu_io("write -P 0xab 0 64k").stdout
    assert ipmitool(7101, "power", "on").returncode == 0
    assert state(RUNNING_VM) == libvirt.VIR_DOMAIN_RUNNING and state(OFF_VM) == libvirt.VIR_DOMAIN_SHUTOFF

    rc, out = snapshot(built, "save", "nightly")
    assert rc == 0, out[-3000:]
    save_seconds = seconds(out)
    assert state(RUNNING_VM) == libvirt.VIR_DOMAIN_RUNNING, "the running VM was not resumed after the save"
    rc, out = snapshot(built, "save", "nightly")
    assert rc == 0 and "nothing to do" in out and "changed=0" in out, out[-3000:]

    # The night's work: the disk overwritten, the running VM powered off through its BMC.
    assert "wrote 65536/65536" in qemu_io("write -P 0xcd 0 64k").stdout
    assert ipmitool(7101, "power", "off").returncode == 0
    rc, out = snapshot(built, "revert", "nightly")
    assert rc == 0, out[-3000:]
    revert_seconds = seconds(out)
    check = qemu_io("read -P 0xab 0 64k")
    assert "read 65536/65536" in check.stdout and "Pattern verification failed" not in check.stdout, check.stdout
    assert state(RUNNING_VM) == libvirt.VIR_DOMAIN_RUNNING and state(OFF_VM) == libvirt.VIR_DOMAIN_SHUTOFF
    # The BMC drives the reverted domain.
    assert ipmitool(7101, "power", "off").returncode == 0
    assert state(RUNNING_VM) == libvirt.VIR_DOMAIN_SHUTOFF
    print("snapshot timings (itest lab, 2 nodes, one running): save %.1f s, revert %.1f s"
          % (save_seconds, revert_seconds))

    rc, out = snapshot(built, "list")
    assert rc == 0 and "nightly:" in out and RUNNING_VM in out, out[-3000:]
    rc, out = snapshot(built, "delete", "nightly")
    assert rc == 0, out[-3000:]
    assert not libvirt.open("qemu:///system").lookupByName(OFF_VM).listAllSnapshots(0)
    # Saved again and left for teardown, which must remove the lab with its snapshots.
    rc, out = snapshot(built, "save", "left-for-teardown")
    assert rc == 0, out[-3000:]


def test_a_snapshot_the_lab_did_not_take_is_refused(built):
    subprocess.run(["virsh", "-c", "qemu:///system", "snapshot-create-as", OFF_VM, "theirs"], check=True,
                   stdout=subprocess.DEVNULL)
    for action in ("revert", "delete", "save"):
        rc, out = snapshot(built, action, "theirs")
        assert rc != 0 and "snapshot 'theirs' of %s was not taken by lab 'itest'" % OFF_VM in out, out[-3000:]
    names = [s.getName() for s in libvirt.open("qemu:///system").lookupByName(OFF_VM).listAllSnapshots(0)]
    assert names == ["theirs"]
    rc, out = snapshot(built, "save", "../etc")
    assert rc != 0 and "is not a snapshot name" in out


def test_teardown_removes_a_lab_with_snapshots(itest_lab):
    rc, out = playbook("site.yml", "-e", "@" + itest_lab)
    assert rc == 0, out[-3000:]
    rc, out = snapshot(itest_lab, "save", "before-teardown")
    assert rc == 0, out[-3000:]
    rc, out = playbook("playbooks/teardown.yml", "-e", "@" + itest_lab)
    assert rc == 0, out[-3000:]
    assert not [d for d in host_state()["domains"] if d.startswith("itest-")]
