"""The generated undercloud.conf and deploy commands, read by each release's own tripleoclient.

Zed: python-tripleoclient 20.0.0 / tripleo-common 18.0.0; Wallaby: 16.5.0 / 15.4.0 (both set
up by tests/ironic/setup). Queens and Train clients do not install on this Python, so their
formats are checked against the documented layout in tests/unit/test_tripleo_builders.py.
"""
import json
import subprocess

import pytest

from conftest import REPO
from ansible_collections.labkit.tripleo.plugins.module_utils import (
    deploy_command, overcloud_state, tripleo_release, undercloud_commands, undercloud_conf)

PYTHONS = {"zed": "/opt/labkit-test/tripleo/bin/python", "wallaby": "/opt/labkit-test/tripleo-wallaby/bin/python"}
CHECKS = REPO / "tests" / "tripleo_checks"
REFERENCE = {
    "undercloud_hostname": "undercloud.openstack.rnd", "local_ip": "192.168.255.1/24",
    "network_gateway": "192.168.255.1", "undercloud_public_host": "192.168.255.2",
    "undercloud_admin_host": "192.168.255.3", "undercloud_nameservers": ["192.168.255.253"],
    "generate_service_certificate": False, "local_interface": "eth0", "local_mtu": 1450, "underlay_mtu": 1500,
    "network_cidr": "192.168.255.0/24", "masquerade": True, "dhcp_start": "192.168.255.11",
    "dhcp_end": "192.168.255.50", "inspection_iprange": "192.168.255.51,192.168.255.100",
    "scheduler_max_attempts": 10, "container_images_file": "/home/stack/containers-prepare-parameter.yaml",
    "extra": {},
}
NODES = [{"name": "control-1", "profile": "control"}, {"name": "compute-1", "profile": "compute"},
         {"name": "compute-2", "profile": "compute"}, {"name": "storage-1", "profile": "ceph-storage"},
         {"name": "storage-2", "profile": "ceph-storage"}]
DEPLOY = {"stack": "overcloud", "templates": None, "environment_files": ["/home/stack/extra env.yaml"],
          "extra_args": ["--ntp-server", "pool.ntp.org"], "libvirt_type": "qemu", "timeout_minutes": 240,
          "workdir": "/home/stack/labkit-seed"}


@pytest.fixture(scope="module")
def tripleoclient():
    subprocess.run([str(REPO / "tests" / "ironic" / "setup")], check=True, stdout=subprocess.DEVNULL)


def run_check(release, script, stdin=None, *args):
    proc = subprocess.run([PYTHONS[release], str(CHECKS / script)] + list(args), input=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


@pytest.mark.parametrize("release", ["wallaby", "zed"])
def test_undercloud_conf_loads_with_tripleoclients_own_options(tripleoclient, tmp_path, release):
    path = tmp_path / "undercloud.conf"
    path.write_text(undercloud_conf.render(REFERENCE, release))
    result = run_check(release, "check_undercloud_conf.py", None, str(path))
    assert result["unknown"] == [] and result["errors"] == []
    d, subnet = result["values"]["DEFAULT"], result["values"]["ctlplane-subnet"]
    assert d["local_ip"] == "192.168.255.1/24" and d["local_mtu"] == 1450
    assert d["undercloud_nameservers"] == ["192.168.255.253"] and d["generate_service_certificate"] is False
    assert d["scheduler_max_attempts"] == 10 and d["subnets"] == ["ctlplane-subnet"]
    assert subnet["cidr"] == "192.168.255.0/24" and subnet["gateway"] == "192.168.255.1"
    assert subnet["inspection_iprange"] == "192.168.255.51,192.168.255.100" and subnet["masquerade"] is True


def test_the_checker_catches_an_unknown_key_and_a_bad_value(tripleoclient, tmp_path):
    path = tmp_path / "undercloud.conf"
    conf = dict(REFERENCE, extra={"undercloud_colour": "blue", "undercloud_debug": "maybe"})
    path.write_text(undercloud_conf.render(conf, "zed"))
    result = run_check("zed", "check_undercloud_conf.py", None, str(path))
    assert result["unknown"] == [["DEFAULT", "undercloud_colour"]]
    assert any(e.startswith("undercloud_debug") for e in result["errors"])


@pytest.mark.parametrize("release", ["wallaby", "zed"])
def test_deploy_commands_parse_with_tripleoclients_own_parsers(tripleoclient, release):
    plan = deploy_command.plan(release, NODES, DEPLOY)
    parsed = run_check(release, "check_commands.py", json.dumps(plan["commands"]))
    assert [p.get("error") for p in parsed] == [None, None]
    provision, deploy = parsed[0]["args"], parsed[1]["args"]
    assert provision["stack"] == "overcloud" and provision["output"] == "/home/stack/labkit-seed/baremetal-deployed.yaml"
    assert provision["input"] == "/home/stack/labkit-seed/baremetal-deployment.yaml"
    # Zed asks before overwriting the output of an earlier run unless told --yes; Wallaby's
    # provision has no such option (and must not be given it).
    assert provision.get("yes", False) is (release == "zed") and deploy["yes"] is (release == "zed")
    # The validate role logs into the nodes as the user this release's provision creates.
    assert provision["overcloud_ssh_user"] == tripleo_release.RELEASES[release]["overcloud_ssh_user"]
    assert deploy["stack"] == "overcloud" and deploy["timeout"] == 240 and deploy["ntp_server"] == "pool.ntp.org"
    assert deploy["deployed_server"] is True
    assert deploy["environment_files"] == ["/home/stack/labkit-seed/baremetal-deployed.yaml",
                                           "/home/stack/labkit-seed/labkit-parameters.yaml",
                                           "/home/stack/extra env.yaml"]


def test_queens_flags_are_not_in_the_newest_parser(tripleoclient):
    """The Queens command uses flags later releases removed: proof the formats must differ."""
    plan = deploy_command.plan("queens", NODES, DEPLOY)
    (parsed,) = run_check("zed", "check_commands.py", json.dumps(plan["commands"]))
    assert "unrecognized arguments" in parsed["error"] and "--control-scale" in parsed["error"]


@pytest.mark.parametrize("release", ["wallaby", "zed"])
def test_undercloud_commands_parse_with_the_releases_own_parsers(tripleoclient, release):
    commands = undercloud_commands.commands(REFERENCE, "/home/stack/images", tripleo_release.release(release), True)
    order = ["container_prepare", "install", "image_upload", "dns_show", "dns_set"]
    parsed = dict(zip(order, run_check(release, "check_commands.py", json.dumps([commands[k] for k in order]))))
    assert {k: p.get("error") for k, p in parsed.items()} == dict.fromkeys(order), parsed
    assert parsed["container_prepare"]["args"]["output_env_file"] == "/home/stack/containers-prepare-parameter.yaml"
    assert parsed["container_prepare"]["args"]["push_destination"] is True
    assert parsed["image_upload"]["args"]["image_path"] == "/home/stack/images"
    show = parsed["dns_show"]["args"]
    assert show["subnet"] == "ctlplane-subnet" and show["formatter"] == "json" and show["columns"] == ["dns_nameservers"]
    # The subnet ends with exactly the lab's servers: the old ones cleared, the new ones set.
    dns = parsed["dns_set"]["args"]
    assert dns["subnet"] == "ctlplane-subnet" and dns["no_dns_nameservers"] is True
    assert dns["dns_nameservers"] == ["192.168.255.253"]


def test_the_command_checker_refuses_an_unknown_option(tripleoclient):
    (parsed,) = run_check("zed", "check_commands.py", json.dumps([["openstack", "subnet", "set", "--colour", "x"]]))
    assert "unrecognized arguments: --colour" in parsed["error"]


def test_repos_command_against_tripleo_repos_own_parser(tripleoclient):
    """PyPI's tripleo-repos reads the queens/train commands as meant, and refuses the EL9 distro of
    wallaby/zed outright: the role names the distro, so it can never fall back to CentOS 7."""
    undercloud = dict(REFERENCE)
    argvs = [undercloud_commands.commands(undercloud, "/x", tripleo_release.release(r), True)["repos"]
             for r in ("queens", "train", "wallaby", "zed")]
    proc = subprocess.run(["/opt/labkit-test/tripleo-repos/bin/python", str(CHECKS / "check_tripleo_repos.py")],
                          input=json.dumps(argvs), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    queens, train, wallaby, zed = json.loads(proc.stdout)
    assert queens == {"distro": "centos7", "branch": "queens", "repos": ["current", "ceph"]}
    assert train == {"distro": "centos8", "branch": "train", "repos": ["current", "ceph"]}
    for parsed in (wallaby, zed):
        assert "invalid choice: 'centos9'" in parsed["error"], parsed


@pytest.mark.parametrize("release", ["wallaby", "zed"])
def test_validation_commands_parse_with_the_releases_own_parsers(tripleoclient, release):
    commands = overcloud_state.commands()
    argvs = [commands[k] for k in ("servers", "baremetal_nodes", "agents", "networks")]
    argvs.append(commands["network_show"] + ["5c2e5a52-0000-4000-8000-000000000001"])
    parsed = run_check(release, "check_commands.py", json.dumps(argvs))
    assert [p.get("error") for p in parsed] == [None] * 5, parsed
    servers, nodes, agents, networks, show = (p["args"] for p in parsed)
    assert all(p["formatter"] == "json" for p in (servers, nodes, agents, networks, show))
    assert nodes["long"] is True and networks["columns"] == ["ID"]
    assert show["network"] == "5c2e5a52-0000-4000-8000-000000000001"
