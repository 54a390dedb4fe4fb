"""undercloud.conf per release, and the checks of its values."""
import configparser

import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import undercloud_conf

from tripleo_data import REFERENCE_UNDERCLOUD


def parse(text):
    parser = configparser.ConfigParser()
    parser.read_string(text)
    return parser


def test_reference_values_pass_the_checks():
    undercloud_conf.check(REFERENCE_UNDERCLOUD, node_count=5)


def test_queens_undercloud_conf_is_flat_with_the_reference_values():
    conf = parse(undercloud_conf.render(REFERENCE_UNDERCLOUD, "queens"))
    assert conf.sections() == []  # everything in [DEFAULT]
    d = conf.defaults()
    assert d["undercloud_hostname"] == "undercloud.openstack.rnd"
    assert d["local_ip"] == "192.168.255.1/24" and d["network_gateway"] == "192.168.255.1"
    assert d["undercloud_public_host"] == "192.168.255.2" and d["undercloud_admin_host"] == "192.168.255.3"
    assert d["undercloud_nameservers"] == "192.168.255.253"
    assert d["generate_service_certificate"] == "false" and d["local_interface"] == "eth0"
    assert d["local_mtu"] == "1450" and d["network_cidr"] == "192.168.255.0/24"
    assert d["masquerade_network"] == "192.168.255.0/24"
    assert (d["dhcp_start"], d["dhcp_end"]) == ("192.168.255.11", "192.168.255.50")
    assert d["inspection_iprange"] == "192.168.255.51,192.168.255.100"
    assert d["scheduler_max_attempts"] == "10"
    assert "local_subnet" not in d and "container_images_file" not in d


@pytest.mark.parametrize("release", ["train", "wallaby", "zed"])
def test_stein_and_later_put_the_subnet_in_its_own_section(release):
    conf = parse(undercloud_conf.render(REFERENCE_UNDERCLOUD, release))
    d = conf.defaults()
    assert d["local_subnet"] == "ctlplane-subnet" and d["subnets"] == "ctlplane-subnet"
    for flat in ("network_cidr", "dhcp_start", "dhcp_end", "inspection_iprange", "network_gateway",
                 "masquerade_network"):
        assert flat not in d
    subnet = conf["ctlplane-subnet"]
    assert subnet["cidr"] == "192.168.255.0/24" and subnet["gateway"] == "192.168.255.1"
    assert (subnet["dhcp_start"], subnet["dhcp_end"]) == ("192.168.255.11", "192.168.255.50")
    assert subnet["inspection_iprange"] == "192.168.255.51,192.168.255.100"
    assert subnet["masquerade"] == "true"
    assert d["container_images_file"] == "/home/stack/containers-prepare-parameter.yaml"
    assert d["scheduler_max_attempts"] == "10"


def test_masquerade_off_drops_the_queens_masquerade_network():
    conf = parse(undercloud_conf.render(dict(REFERENCE_UNDERCLOUD, masquerade=False), "queens"))
    assert "masquerade_network" not in conf.defaults()


def bad(**changes):
    conf = dict(REFERENCE_UNDERCLOUD, **changes)
    with pytest.raises(undercloud_conf.UndercloudConfError) as err:
        undercloud_conf.check(conf, node_count=5)
    return "\n".join(err.value.errors)


def test_overlapping_pools_are_refused():
    assert "inspection_iprange: 192.168.255.45-192.168.255.100 overlaps" in bad(
        inspection_iprange="192.168.255.45,192.168.255.100")


def test_pool_outside_the_cidr_is_refused():
    assert "192.168.256" not in bad(dhcp_end="192.168.254.50")
    assert "dhcp_start..dhcp_end: 192.168.254.50 is outside network_cidr" in bad(dhcp_end="192.168.254.50")


def test_pool_that_starts_after_it_ends_is_refused():
    assert "starts after it ends" in bad(dhcp_start="192.168.255.49", dhcp_end="192.168.255.20")


def test_local_ip_outside_the_cidr_or_in_a_pool_is_refused():
    assert "local_ip: 10.0.0.1/24 is not in network_cidr" in bad(local_ip="10.0.0.1/24")
    assert "local_ip: 192.168.255.20 lies inside dhcp_start..dhcp_end" in bad(local_ip="192.168.255.20/24")


def test_vips_inside_a_pool_or_outside_the_cidr_are_refused():
    assert "undercloud_public_host: 192.168.255.60 lies inside inspection_iprange" in bad(
        undercloud_public_host="192.168.255.60")
    assert "undercloud_admin_host: 10.1.1.1 is outside network_cidr" in bad(undercloud_admin_host="10.1.1.1")
    assert "must differ from local_ip" in bad(undercloud_admin_host="192.168.255.1")


def test_scheduler_attempts_below_the_node_count_are_refused():
    assert "scheduler_max_attempts: 3 is less than the 5 overcloud nodes" in bad(scheduler_max_attempts=3)


def test_mtu_that_leaves_no_room_for_vxlan_is_refused():
    assert "local_mtu: 1500 + 50 bytes of VXLAN does not fit the 1500-byte underlay MTU" in bad(local_mtu=1500)
    undercloud_conf.check(dict(REFERENCE_UNDERCLOUD, local_mtu=1500, underlay_mtu=9000), node_count=5)


def test_pool_too_small_for_the_nodes_is_refused():
    assert "2 addresses for 5 nodes" in bad(dhcp_start="192.168.255.11", dhcp_end="192.168.255.12")
