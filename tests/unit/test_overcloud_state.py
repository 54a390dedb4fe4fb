"""overcloud_state: what the validate phase reads of an overcloud, with recorded CLI outputs and
fake runners standing for the undercloud's and the overcloud's CLI and SSH."""
import json

import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import overcloud_state as state
from ansible_collections.labkit.tripleo.plugins.module_utils import overcloud_validation as v

BRIDGES = json.dumps({"headings": ["name"], "data": [["br-tun"], ["br-int"], ["br-ex"]]})
INTERFACES = json.dumps({"headings": ["name", "type", "options"], "data": [
    ["vxlan-c0a8ff0d", "vxlan", ["map", [["local_ip", "192.168.255.12"], ["remote_ip", "192.168.255.13"]]]],
    ["br-int", "internal", ["map", []]]]})
SETTINGS = {"openstack_command": "/opt/osc/openstack", "nova_servers": True, "ssh_user": "heat-admin"}


def test_ctlplane_address_forms():
    assert state.ctlplane_address("ctlplane=192.168.255.12") == "192.168.255.12"
    assert state.ctlplane_address({"ctlplane": ["192.168.255.13"]}) == "192.168.255.13"
    assert state.ctlplane_address("external=10.0.0.5") is None


def test_servers_from_baremetal_for_releases_without_nova():
    nodes = [{"name": "control-1", "provision_state": "active",
              "instance_info": {"display_name": "overcloud-controller-0"}},
             {"name": "compute-1", "provision_state": "deploy failed",
              "instance_info": {"display_name": "overcloud-novacompute-0"}},
             {"name": "spare-1", "provision_state": "available", "instance_info": {}}]
    deployed = {"parameter_defaults": {"DeployedServerPortMap": {
        "overcloud-controller-0-ctlplane": {"fixed_ips": [{"ip_address": "192.168.255.12"}]}}}}
    servers = state.servers_from_baremetal(nodes, deployed)
    assert servers == [
        {"Name": "overcloud-controller-0", "Status": "ACTIVE", "Networks": {"ctlplane": ["192.168.255.12"]}},
        {"Name": "overcloud-novacompute-0", "Status": "DEPLOY FAILED", "Networks": {}}]
    report = v.Report()
    v.check_servers(report, servers, 2)
    assert [c["ok"] for c in report.checks] == [True, False, True]


def test_ovs_state_of_the_query_output():
    node = state.ovs_state(BRIDGES + "\n" + INTERFACES + "\n")
    assert node["bridges"] == ["br-ex", "br-int", "br-tun"]
    assert v.parse_tunnels(node["interfaces"]) == [
        {"name": "vxlan-c0a8ff0d", "type": "vxlan", "remote_ip": "192.168.255.13"}]
    assert state.ovs_state("") is None
    assert state.ovs_state(BRIDGES + "\n") is None
    assert state.ovs_state("not json\nnor this\n") is None


class FakeCli(object):
    """Answers argvs from a table of recorded outputs and remembers what was run."""

    def __init__(self, answers):
        self.answers = answers
        self.ran = []

    def __call__(self, argv):
        self.ran.append(argv)
        for words, answer in self.answers:
            if argv[:len(words)] == words or argv[-len(words):] == words:
                return answer
        return 1, "", "fake: no answer recorded for %s" % argv


def _overcloud():
    show = {"name": "private", "mtu": 1450, "provider:network_type": "vxlan"}
    return FakeCli([
        (["/opt/osc/openstack", "network", "agent", "list"], (0, json.dumps([{"Agent Type": "L3 agent"}]), "")),
        (["/opt/osc/openstack", "network", "list"], (0, json.dumps([{"ID": "n1"}, {"ID": "n2"}]), "")),
        (["n1"], (0, json.dumps(show), "")),
        (["n2"], (0, json.dumps(dict(show, name="public", mtu=1500)), "")),
    ])


def test_read_with_nova_servers_reads_every_network_and_every_reachable_node():
    servers = [{"Name": "overcloud-controller-0.localdomain", "Status": "ACTIVE", "Networks": "ctlplane=192.168.255.12"},
               {"Name": "overcloud-novacompute-0", "Status": "ERROR", "Networks": ""},
               {"Name": "overcloud-novacompute-1", "Status": "ACTIVE", "Networks": "ctlplane=192.168.255.14"}]
    undercloud = FakeCli([(["/opt/osc/openstack", "server", "list"], (0, json.dumps(servers), ""))])
    overcloud = _overcloud()
    ssh = FakeCli([(state.ovs_query_argv("heat-admin", "192.168.255.12"), (0, BRIDGES + "\n" + INTERFACES, "")),
                   (state.ovs_query_argv("heat-admin", "192.168.255.14"), (255, "", "Connection refused"))])
    read = state.read(undercloud, overcloud, ssh, SETTINGS, lambda: pytest.fail("Nova releases need no deployed file"))
    assert read["servers"] == servers
    assert read["agents"] == [{"Agent Type": "L3 agent"}]
    assert [n["name"] for n in read["networks"]] == ["private", "public"]
    # The node without a ctlplane address is not asked; the one that refused is left out.
    assert list(read["ovs"]) == ["overcloud-controller-0"]
    assert sorted(argv[7] for argv in ssh.ran) == ["heat-admin@192.168.255.12", "heat-admin@192.168.255.14"]
    assert all(argv[0] == "/opt/osc/openstack" for argv in undercloud.ran + overcloud.ran)


def test_read_from_wallaby_takes_servers_from_ironic_and_the_deployed_file():
    rows = [{"name": "control-1", "provision_state": "active", "instance_info": {"display_name": "overcloud-controller-0"}}]
    deployed = {"parameter_defaults": {"DeployedServerPortMap": {
        "overcloud-controller-0-ctlplane": {"fixed_ips": [{"ip_address": "192.168.255.12"}]}}}}
    undercloud = FakeCli([(["/opt/osc/openstack", "baremetal", "node", "list", "--long"], (0, json.dumps(rows), ""))])
    ssh = FakeCli([(state.OVS_QUERY, (0, BRIDGES + "\n" + INTERFACES, ""))])
    read = state.read(undercloud, _overcloud(), ssh, dict(SETTINGS, nova_servers=False, ssh_user="tripleo-admin"),
                      lambda: deployed)
    assert read["servers"] == [{"Name": "overcloud-controller-0", "Status": "ACTIVE",
                                "Networks": {"ctlplane": ["192.168.255.12"]}}]
    assert ssh.ran[0][7] == "tripleo-admin@192.168.255.12"
    assert read["ovs"]["overcloud-controller-0"]["bridges"] == ["br-ex", "br-int", "br-tun"]


def test_a_failing_cli_command_is_an_error_naming_it():
    undercloud = FakeCli([(["/opt/osc/openstack", "server", "list"], (1, "", "Unable to establish connection"))])
    with pytest.raises(state.ReadError, match="server list -f json failed .*Unable to establish connection"):
        state.read(undercloud, _overcloud(), FakeCli([]), SETTINGS, dict)
    undercloud = FakeCli([(["/opt/osc/openstack", "server", "list"], (0, "<html>proxy error</html>", ""))])
    with pytest.raises(state.ReadError, match="printed no JSON"):
        state.read(undercloud, _overcloud(), FakeCli([]), SETTINGS, dict)


def test_the_read_state_is_what_validation_judges():
    servers = [{"Name": "overcloud-controller-0", "Status": "ACTIVE", "Networks": "ctlplane=192.168.255.12"}]
    undercloud = FakeCli([(["/opt/osc/openstack", "server", "list"], (0, json.dumps(servers), ""))])
    ssh = FakeCli([(state.OVS_QUERY, (0, BRIDGES + "\n" + INTERFACES, ""))])
    read = state.read(undercloud, _overcloud(), ssh, SETTINGS, dict)
    report = v.validate([{"name": "control-1", "profile": "control"}], read["servers"], read["agents"],
                        read["ovs"], read["networks"])
    failed = [c["check"] for c in report["checks"] if not c["ok"]]
    # Only an L3 agent was recorded: the other controller agents are missing; bridges are all there.
    assert "Open vSwitch agent on overcloud-controller-0" in failed
    assert not [c for c in failed if c.startswith("bridges")]
