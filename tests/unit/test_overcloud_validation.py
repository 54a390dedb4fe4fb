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
    networks = [{"name": "private", "mtu": 1442, "provider:network_type": "geneve"}]
    result = v.validate(NODES, SERVERS, agents, ovs, networks, expected_mtu=1442)
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
