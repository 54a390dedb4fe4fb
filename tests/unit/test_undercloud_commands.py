"""The undercloud phase's commands (DNS, repositories)."""

import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import tripleo_release, undercloud_commands


def test_dns_set_clears_then_sets_each_lab_nameserver():
    undercloud = {"container_images_file": "/home/stack/c.yaml", "undercloud_nameservers": ["10.0.0.1", "10.0.0.2"]}
    dns_set = undercloud_commands.commands(undercloud, "/home/stack/images", tripleo_release.release("zed"),
                                           False)["dns_set"]
    assert dns_set == ["openstack", "subnet", "set", "--no-dns-nameservers", "--dns-nameserver=10.0.0.1",
                       "--dns-nameserver=10.0.0.2", "ctlplane-subnet"]
    undercloud["undercloud_nameservers"] = []
    assert undercloud_commands.commands(undercloud, "/x", tripleo_release.release("zed"), False)["dns_set"] == [
        "openstack", "subnet", "set", "--no-dns-nameservers", "ctlplane-subnet"]


@pytest.mark.parametrize("release, distro", [("queens", "centos7"), ("train", "centos8"), ("wallaby", "centos9"),
                                             ("zed", "centos9")])
def test_repos_name_the_release_and_its_distro(release, distro):
    undercloud = {"container_images_file": "/c.yaml", "undercloud_nameservers": []}
    repos = undercloud_commands.commands(undercloud, "/x", tripleo_release.release(release), True)["repos"]
    assert repos == ["tripleo-repos", "-b", release, "-d", distro, "current", "ceph"]
    assert "ceph" not in undercloud_commands.commands(undercloud, "/x", tripleo_release.release(release), False)["repos"]
