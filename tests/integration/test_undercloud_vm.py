"""The undercloud VM from a cloud image: overlay disk, NoCloud seed, started, on the real host."""
import json
import os
import subprocess
import tempfile

import libvirt
import pytest

from conftest import LABS, host_state, playbook

IMAGE = "/var/lib/libvirt/images/itestuc-test-cloud-image.qcow2"
KEY = os.path.expanduser("~/.labkit-itestuc-key.pub")
SEED = "/var/lib/libvirt/images/itestuc_itestuc-undercloud-seed.iso"
DISK = "/var/lib/libvirt/images/itestuc_itestuc-undercloud-vda.qcow2"
LAB = "@%s" % (LABS / "itest-uc.yml")
# No OS in the test image, so nothing will ever answer SSH.
NO_SSH = ["--skip-tags", "undercloud"]


@pytest.fixture
def cloud_image():
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", IMAGE, "1G"], check=True)
    with open(KEY, "w") as handle:
        handle.write("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAItestkeyonly labkit-test\n")
    playbook("playbooks/teardown.yml", "-e", LAB)
    yield
    rc, out = playbook("playbooks/teardown.yml", "-e", LAB)
    assert rc == 0, out[-3000:]
    # The image was given by path, so it is the user's: teardown must leave it.
    assert os.path.exists(IMAGE)
    os.unlink(IMAGE)
    os.unlink(KEY)


def iso_file(name):
    with tempfile.TemporaryDirectory() as tmp:
        target = os.path.join(tmp, name)
        subprocess.run(["xorriso", "-osirrox", "on", "-indev", SEED, "-extract", "/" + name, target],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        with open(target) as handle:
            return handle.read()


def test_undercloud_from_a_cloud_image(cloud_image):
    before = host_state()
    rc, out = playbook("site.yml", "-e", LAB, "--check", *NO_SSH)
    assert rc == 0, out[-3000:]
    assert host_state() == before

    rc, out = playbook("site.yml", "-e", LAB, *NO_SSH)
    assert rc == 0, out[-3000:]
    info = json.loads(subprocess.run(["qemu-img", "info", "-U", "--output=json", DISK], stdout=subprocess.PIPE,
                                     check=True).stdout)
    assert info["backing-filename"] == IMAGE and info["virtual-size"] == 2 * 1024 ** 3

    volume = subprocess.run(["xorriso", "-indev", SEED, "-pvd_info"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, universal_newlines=True, check=False).stdout
    assert "Volume Id    : cidata" in volume
    user_data = iso_file("user-data")
    assert user_data.startswith("#cloud-config\n")
    config = json.loads(user_data.split("\n", 1)[1])
    assert config["users"][0]["name"] == "stack"
    assert config["users"][0]["ssh_authorized_keys"] == [open(KEY).read().strip()]
    network = json.loads(iso_file("network-config"))

    conn = libvirt.open("qemu:///system")
    dom = conn.lookupByName("itestuc-undercloud")
    xml = dom.XMLDesc(0)
    macs = [line.split("'")[1] for line in xml.splitlines() if "<mac address=" in line]
    assert network["ethernets"]["eth0"]["match"]["macaddress"] == macs[0]
    assert network["ethernets"]["eth1"]["match"]["macaddress"] == macs[1]
    assert network["ethernets"]["eth1"]["addresses"] == ["192.0.2.10/24"]
    assert "device='cdrom'" in xml and SEED in xml
    # The undercloud runs; overcloud nodes wait for their BMC.
    assert dom.isActive()
    assert not conn.lookupByName("itestuc-control-1").isActive()

    rc, out = playbook("site.yml", "-e", LAB, *NO_SSH)
    assert rc == 0, out[-3000:]
    assert " changed=0 " in out.split("PLAY RECAP")[-1], out[-3000:]

    rc, out = playbook("playbooks/teardown.yml", "-e", LAB)
    assert rc == 0, out[-3000:]
    assert not os.path.exists(SEED) and not os.path.exists(DISK)
    assert "itestuc-undercloud" not in host_state()["domains"]
