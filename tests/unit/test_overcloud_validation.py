"""The overcloud checks of lab-reference section 6, on recorded CLI outputs."""
import copy

from ansible_collections.labkit.tripleo.plugins.module_utils import overcloud_validation as v

NODES = [{"name": "control-1", "profile": "control"}, {"name": "compute-1", "profile": "compute"},
         {"name": "compute-2", "profile": "compute"}]
SERVERS = [
    {"ID": "1", "Name": "overcloud-controller-0", "Status": "ACTIVE", "Networks": "ctlplane=192.168.255.12"},
    {"ID": "2", "Name": "overcloud-novacompute-0", "Status": "ACTIVE", "Networks": "ctlplane=192.168.255.13"},
    {"ID": "3", "Name": "overcloud-novacompute-1", "Status": "ACTIVE", "Networks": {"ctlplane": ["192.168.255.14"]}},
]


def agent(kind, host, alive=":-)", state="UP"):
    return {"ID": kind + host, "Agent Type": kind, "Host": host + ".localdomain", "Alive": alive, "State": state}


AGENTS = ([agent(k, "overcloud-controller-0") for k in v.CONTROLLER_AGENTS_OVS]
          + [agent("Open vSwitch agent", "overcloud-novacompute-0"),
             agent("Open vSwitch agent", "overcloud-novacompute-1", alive=True, state=True)])


def ovs_state(own, peers):
    return {"bridges": ["br-ex", "br-int", "br-tun"],
            "interfaces": [{"name": "vxlan-%d" % i, "type": "vxlan", "options": {"remote_ip": p, "local_ip": own}}
                           for i, p in enumerate(peers)] + [{"name": "br-tun", "type": "internal", "options": {}}]}


IPS = {"overcloud-controller-0": "192.168.255.12", "overcloud-novacompute-0": "192.168.255.13",
       "overcloud-novacompute-1": "192.168.255.14"}
OVS = {host: ovs_state(ip, [p for h, p in IPS.items() if h != host]) for host, ip in IPS.items()}
NETWORKS = [{"name": "private", "mtu": 1450, "provider:network_type": "vxlan"},
            {"name": "public", "mtu": 1500, "provider:network_type": "flat"}]


def failures(result):
    return [c["check"] for c in result["checks"] if not c["ok"]]


def test_a_healthy_overcloud_passes_every_check():
    result = v.validate(NODES, SERVERS, AGENTS, OVS, NETWORKS)
    assert failures(result) == [] and result["ok"] and result["mechanism"] == "openvswitch"
    assert len(result["checks"]) >= 3 + 1 + 6 + 6 + 1
    text = v.render(result)
    assert text.startswith("Overcloud validation: PASSED") and "[FAIL]" not in text


def test_a_server_in_error_fails():
    servers = copy.deepcopy(SERVERS)
    servers[1]["Status"] = "ERROR"
    assert "server overcloud-novacompute-0 is ACTIVE on ctlplane" in failures(
        v.validate(NODES, servers, AGENTS, OVS, NETWORKS))


def test_a_missing_server_fails_the_count():
    assert "3 overcloud servers" in failures(v.validate(NODES, SERVERS[:2], AGENTS, OVS, NETWORKS))


def test_a_dead_or_missing_agent_fails():
    agents = copy.deepcopy(AGENTS)
    agents[1]["Alive"] = "XXX"
    assert "L3 agent on overcloud-controller-0" in failures(v.validate(NODES, SERVERS, agents, OVS, NETWORKS))
    agents = [a for a in AGENTS if not (a["Agent Type"] == "Open vSwitch agent" and "novacompute-1" in a["Host"])]
    assert "Open vSwitch agent on overcloud-novacompute-1" in failures(
        v.validate(NODES, SERVERS, agents, OVS, NETWORKS))


def test_ovn_deployments_are_judged_by_ovn_agents():
    agents = ([agent(k, "overcloud-controller-0") for k in v.CONTROLLER_AGENTS_OVN]
              + [agent(k, h) for h in ("overcloud-novacompute-0", "overcloud-novacompute-1")
                 for k in v.COMPUTE_AGENTS_OVN])
    ovs = {h: {"bridges": ["br-ex", "br-int"], "interfaces": []} for h in IPS}
    result = v.validate(NODES, SERVERS, agents, ovs, [{"name": "private", "mtu": 1442,
                                                        "provider:network_type": "geneve"}], expected_mtu=1442)
    assert result["mechanism"] == "ovn" and failures(result) == []


def test_a_missing_bridge_fails():
    ovs = copy.deepcopy(OVS)
    ovs["overcloud-novacompute-0"]["bridges"].remove("br-tun")
    assert "bridges br-int/br-ex/br-tun on overcloud-novacompute-0" in failures(
        v.validate(NODES, SERVERS, AGENTS, ovs, NETWORKS))


def test_a_broken_vxlan_mesh_fails_on_the_node_that_lacks_the_tunnel():
    ovs = copy.deepcopy(OVS)
    ovs["overcloud-controller-0"]["interfaces"] = ovs["overcloud-controller-0"]["interfaces"][1:]
    result = v.validate(NODES, SERVERS, AGENTS, ovs, NETWORKS)
    assert failures(result) == ["VXLAN mesh from overcloud-controller-0"]


def test_uncollected_ovs_state_fails():
    ovs = dict(OVS)
    del ovs["overcloud-novacompute-1"]
    assert "Open vSwitch state of overcloud-novacompute-1" in failures(
        v.validate(NODES, SERVERS, AGENTS, ovs, NETWORKS))


def test_a_tenant_network_with_the_wrong_mtu_fails():
    networks = [{"name": "private", "mtu": 1500, "provider:network_type": "vxlan"}]
    assert failures(v.validate(NODES, SERVERS, AGENTS, OVS, networks)) == ["MTU of network private"]


def test_ctlplane_address_forms():
    assert v.ctlplane_address("ctlplane=192.168.255.12") == "192.168.255.12"
    assert v.ctlplane_address({"ctlplane": ["192.168.255.13"]}) == "192.168.255.13"
    assert v.ctlplane_address("external=10.0.0.5") is None


def test_servers_from_baremetal_for_releases_without_nova():
    nodes = [{"name": "control-1", "provision_state": "active",
              "instance_info": {"display_name": "overcloud-controller-0"}},
             {"name": "compute-1", "provision_state": "deploy failed",
              "instance_info": {"display_name": "overcloud-novacompute-0"}},
             {"name": "spare-1", "provision_state": "available", "instance_info": {}}]
    deployed = {"parameter_defaults": {"DeployedServerPortMap": {
        "overcloud-controller-0-ctlplane": {"fixed_ips": [{"ip_address": "192.168.255.12"}]}}}}
    servers = v.servers_from_baremetal(nodes, deployed)
    assert servers == [
        {"Name": "overcloud-controller-0", "Status": "ACTIVE", "Networks": {"ctlplane": ["192.168.255.12"]}},
        {"Name": "overcloud-novacompute-0", "Status": "DEPLOY FAILED", "Networks": {}}]
    report = v.Report()
    v.check_servers(report, servers, 2)
    assert [c["ok"] for c in report.checks] == [True, False, True]


def test_ovs_state_from_the_ssh_results():
    import json
    from ansible_collections.labkit.tripleo.plugins.module_utils import ovs
    bridges = json.dumps({"headings": ["name"], "data": [["br-tun"], ["br-int"], ["br-ex"]]})
    interfaces = json.dumps({"headings": ["name", "type", "options"], "data": [
        ["vxlan-c0a8ff0d", "vxlan", ["map", [["local_ip", "192.168.255.12"], ["remote_ip", "192.168.255.13"]]]],
        ["br-int", "internal", ["map", []]]]})
    results = [
        {"rc": 0, "stdout": bridges + "\n" + interfaces + "\n", "item": {"Name": "overcloud-controller-0.localdomain"}},
        {"rc": 255, "stdout": "", "item": {"Name": "overcloud-novacompute-0"}},
    ]
    state = v.ovs_state_from_results(results, ovs.table)
    assert list(state) == ["overcloud-controller-0"]
    assert state["overcloud-controller-0"]["bridges"] == ["br-ex", "br-int", "br-tun"]
    assert v.parse_tunnels(state["overcloud-controller-0"]["interfaces"]) == [
        {"name": "vxlan-c0a8ff0d", "type": "vxlan", "remote_ip": "192.168.255.13"}]
