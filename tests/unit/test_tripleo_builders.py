"""instackenv.json, undercloud.conf and the deploy commands, per release.

Queens and Train outputs are checked against their documented formats here; Wallaby and
Zed outputs are also checked by the real python-tripleoclient in tests/integration.
"""
import configparser
import copy

import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import (
    deploy_command, instackenv, tripleo_release, undercloud_commands, undercloud_conf)

NODES = [
    {"name": "control-1", "profile": "control", "vcpus": 8, "memory_mb": 32768, "disk_gb": 60,
     "provisioning_mac": "52:54:aa:bb:01:00", "bmc": {"address": "192.168.255.200", "port": 7001}},
    {"name": "compute-1", "profile": "compute", "vcpus": 12, "memory_mb": 32768, "disk_gb": 60,
     "provisioning_mac": "52:54:aa:bb:02:00", "bmc": {"address": "192.168.255.200", "port": 7002}},
    {"name": "compute-2", "profile": "compute", "vcpus": 12, "memory_mb": 32768, "disk_gb": 60,
     "provisioning_mac": "52:54:aa:bb:03:00", "bmc": {"address": "192.168.255.200", "port": 7003}},
    {"name": "storage-1", "profile": "ceph-storage", "vcpus": 4, "memory_mb": 16384, "disk_gb": 160,
     "provisioning_mac": "52:54:aa:bb:04:00", "bmc": {"address": "192.168.255.200", "port": 7004}},
]
BMC = {"type": "ipmi", "username": "admin", "password": "n0t-pr1nted"}
REFERENCE_UNDERCLOUD = {
    "undercloud_hostname": "undercloud.openstack.rnd", "local_ip": "192.168.255.1/24",
    "network_gateway": "192.168.255.1", "undercloud_public_host": "192.168.255.2",
    "undercloud_admin_host": "192.168.255.3", "undercloud_nameservers": ["192.168.255.253"],
    "generate_service_certificate": False, "local_interface": "eth0", "local_mtu": 1450, "underlay_mtu": 1500,
    "network_cidr": "192.168.255.0/24", "masquerade": True, "dhcp_start": "192.168.255.11",
    "dhcp_end": "192.168.255.50", "inspection_iprange": "192.168.255.51,192.168.255.100",
    "scheduler_max_attempts": 10, "container_images_file": "/home/stack/containers-prepare-parameter.yaml",
    "extra": {},
}
DEPLOY = {"stack": "overcloud", "templates": None, "environment_files": ["/home/stack/extra.yaml"],
          "extra_args": ["--ntp-server", "pool.ntp.org"], "libvirt_type": "qemu", "timeout_minutes": 120,
          "workdir": "/home/stack/labkit"}


# ------------------------------------------------------------ instackenv

def test_queens_instackenv_uses_mac_list_and_pxe_ipmitool():
    doc = instackenv.build(NODES, "queens", BMC)
    node = doc["nodes"][0]
    assert node["pm_type"] == "pxe_ipmitool"
    assert node["mac"] == ["52:54:aa:bb:01:00"] and "ports" not in node
    assert node["pm_addr"] == "192.168.255.200" and node["pm_port"] == 7001
    assert (node["cpu"], node["memory"], node["disk"], node["arch"]) == (8, 32768, 60, "x86_64")
    assert node["capabilities"] == "profile:control,boot_option:local,boot_mode:bios"


def test_train_instackenv_uses_the_ipmi_hardware_type():
    node = instackenv.build(NODES, "train", BMC)["nodes"][1]
    assert node["pm_type"] == "ipmi" and node["mac"] == ["52:54:aa:bb:02:00"]


@pytest.mark.parametrize("release", ["wallaby", "zed"])
def test_newer_instackenv_uses_ports(release):
    node = instackenv.build(NODES, release, BMC)["nodes"][3]
    assert node["pm_type"] == "ipmi"
    assert node["ports"] == [{"address": "52:54:aa:bb:04:00"}] and "mac" not in node
    assert node["capabilities"] == "profile:ceph-storage,boot_option:local,boot_mode:bios"


def test_redfish_instackenv_names_the_system():
    node = instackenv.build(NODES, "zed", dict(BMC, type="redfish"))["nodes"][0]
    assert node["pm_type"] == "redfish"
    # Without a scheme Ironic would speak https to sushy-tools' plain HTTP.
    assert node["pm_addr"] == "http://192.168.255.200:7001" and "pm_port" not in node
    assert node["pm_system_id"] == "/redfish/v1/Systems/control-1"


def test_redfish_ipv6_address_is_bracketed():
    assert instackenv.redfish_url("::1", 8000) == "http://[::1]:8000"


def test_redfish_nodes_share_one_endpoint_but_not_one_system():
    nodes = copy.deepcopy(NODES)
    for node in nodes:
        node["bmc"] = {"address": "127.0.0.1", "port": 8000}
    document = instackenv.build(nodes, "zed", dict(BMC, type="redfish"))
    assert len(set(n["pm_system_id"] for n in document["nodes"])) == len(nodes)
    document["nodes"][1]["pm_system_id"] = document["nodes"][0]["pm_system_id"]
    with pytest.raises(instackenv.InstackenvError) as err:
        instackenv.check(document)
    assert any("BMC http://127.0.0.1:8000/redfish/v1/Systems/control-1 is also used by" in e for e in err.value.errors)


def test_duplicate_mac_is_refused_naming_both_nodes():
    nodes = copy.deepcopy(NODES)
    nodes[2]["provisioning_mac"] = nodes[1]["provisioning_mac"].upper()
    with pytest.raises(instackenv.InstackenvError) as err:
        instackenv.build(nodes, "zed", BMC)
    assert any("compute-2" in e and "compute-1" in e and "MAC" in e for e in err.value.errors)


def test_duplicate_bmc_endpoint_is_refused():
    nodes = copy.deepcopy(NODES)
    nodes[3]["bmc"]["port"] = 7001
    with pytest.raises(instackenv.InstackenvError) as err:
        instackenv.build(nodes, "wallaby", BMC)
    assert any("storage-1" in e and "192.168.255.200:7001" in e for e in err.value.errors)


def test_same_port_on_another_address_is_not_a_duplicate():
    nodes = copy.deepcopy(NODES)
    nodes[3]["bmc"] = {"address": "192.168.255.201", "port": 7001}
    instackenv.build(nodes, "wallaby", BMC)


def test_missing_mac_and_duplicate_name_are_refused():
    nodes = copy.deepcopy(NODES)
    nodes[1]["provisioning_mac"] = None
    nodes[2]["name"] = "control-1"
    with pytest.raises(instackenv.InstackenvError) as err:
        instackenv.build(nodes, "zed", BMC)
    text = "\n".join(err.value.errors)
    assert "no MAC" in text and "duplicate name" in text


def test_instackenv_error_never_shows_the_password():
    nodes = copy.deepcopy(NODES)
    nodes[1]["provisioning_mac"] = nodes[0]["provisioning_mac"]
    with pytest.raises(instackenv.InstackenvError) as err:
        instackenv.build(nodes, "zed", BMC)
    assert BMC["password"] not in str(err.value)


def test_unknown_release_is_refused():
    with pytest.raises(ValueError, match="unknown TripleO release 'rocky'"):
        instackenv.build(NODES, "rocky", BMC)


# ------------------------------------------------------------ undercloud.conf

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


# ------------------------------------------------------------ deploy

def test_queens_deploy_is_the_reference_command():
    nodes = NODES + [dict(NODES[3], name="storage-2")]
    plan = deploy_command.plan("queens", nodes, dict(DEPLOY, environment_files=[], extra_args=[]))
    assert plan["files"] == {}
    assert plan["commands"] == [[
        "openstack", "overcloud", "deploy", "--templates", "--stack", "overcloud",
        "--control-scale", "1", "--control-flavor", "control",
        "--compute-scale", "2", "--compute-flavor", "compute",
        "--ceph-storage-scale", "2", "--ceph-storage-flavor", "ceph-storage",
        "--libvirt-type", "qemu", "--timeout", "120"]]


def test_train_deploy_moves_counts_and_flavors_into_an_environment_file():
    plan = deploy_command.plan("train", NODES, DEPLOY)
    params = plan["files"]["/home/stack/labkit/labkit-parameters.yaml"]["parameter_defaults"]
    assert dict(params) == {"ControllerCount": 1, "OvercloudControlFlavor": "control",
                            "ComputeCount": 2, "OvercloudComputeFlavor": "compute",
                            "CephStorageCount": 1, "OvercloudCephStorageFlavor": "ceph-storage",
                            "NovaComputeLibvirtType": "qemu"}
    (deploy,) = plan["commands"]
    assert "--control-scale" not in deploy and "--libvirt-type" not in deploy
    assert deploy[deploy.index("-e") + 1] == "/home/stack/labkit/labkit-parameters.yaml"
    assert deploy[-4:] == ["--timeout", "120", "--ntp-server", "pool.ntp.org"]
    assert deploy.index("/home/stack/extra.yaml") > deploy.index("/home/stack/labkit/labkit-parameters.yaml")


@pytest.mark.parametrize("release", ["wallaby", "zed"])
def test_wallaby_and_later_provision_nodes_first(release):
    plan = deploy_command.plan(release, NODES, DEPLOY)
    roles = plan["files"]["/home/stack/labkit/baremetal-deployment.yaml"]
    assert [(r["name"], r["count"], r["defaults"]["profile"]) for r in roles] == [
        ("Controller", 1, "control"), ("Compute", 2, "compute"), ("CephStorage", 1, "ceph-storage")]
    provision, deploy = plan["commands"]
    assert provision[:4] == ["openstack", "overcloud", "node", "provision"]
    assert provision[-1] == "/home/stack/labkit/baremetal-deployment.yaml"
    assert ("--yes" in provision) is (release == "zed") and ("--yes" in deploy) is (release == "zed")
    assert "--deployed-server" in deploy
    assert "/home/stack/labkit/baremetal-deployed.yaml" in deploy
    params = plan["files"]["/home/stack/labkit/labkit-parameters.yaml"]["parameter_defaults"]
    assert dict(params) == {"NovaComputeLibvirtType": "qemu"}


def test_unknown_profile_is_refused():
    with pytest.raises(ValueError, match="no overcloud role is known for profile"):
        deploy_command.plan("zed", [dict(NODES[0], profile="gpu")], DEPLOY)


def test_reproducer_quotes_every_word():
    script = deploy_command.reproducer([["openstack", "overcloud", "deploy", "-e", "/tmp/a b.yaml; rm -rf /"]],
                                       "/home/stack/deploy.log")
    assert "'/tmp/a b.yaml; rm -rf /'" in script
    assert script.startswith("#!/bin/bash\n") and "set -euo pipefail" in script


def test_reproducer_quotes_the_rc_file(tmp_path):
    import subprocess
    witness = tmp_path / "injected"
    rc_file = "/nonexistent; touch %s #" % witness
    script = deploy_command.reproducer([["true"]], str(tmp_path / "log"), rc_file)
    assert "source '/nonexistent; touch %s #'" % witness in script
    # Run for real: bash must fail to source the odd name, never run the 'touch'.
    subprocess.run(["bash", "-c", script], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert not witness.exists()
    assert "source ~/stackrc" in deploy_command.reproducer([["true"]], "/tmp/log")


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
