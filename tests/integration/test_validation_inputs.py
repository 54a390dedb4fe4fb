"""The validate phase's Open vSwitch query, run as the module runs it, against real Open vSwitch.

An overcloud node cannot run here, but its OVS can be imitated with the real thing: br-int,
br-tun with VXLAN ports and br-ex on this machine's ovs-vswitchd (tunnels to loopback
addresses, which carry no traffic). The module's exact argv (less `sudo`, the tests run as root)
must produce what the judging code reads.
"""
import subprocess

import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import overcloud_state
from ansible_collections.labkit.tripleo.plugins.module_utils import overcloud_validation as validation

BRIDGES = ("br-int", "br-tun", "br-ex")
PEERS = ["127.0.0.2", "127.0.0.3"]


def vsctl(*args):
    subprocess.run(["ovs-vsctl"] + list(args), check=True)


@pytest.fixture
def overcloud_like_ovs():
    existing = subprocess.run(["ovs-vsctl", "list-br"], stdout=subprocess.PIPE, universal_newlines=True,
                              check=True).stdout.split()
    if set(BRIDGES) & set(existing):
        pytest.skip("this host already has OVS bridges named like an overcloud node's")
    try:
        for bridge in BRIDGES:
            vsctl("add-br", bridge, "--", "set", "Bridge", bridge, "datapath_type=netdev")
        for peer in PEERS:
            port = "vxlan-%s" % "".join("%02x" % int(octet) for octet in peer.split("."))
            vsctl("add-port", "br-tun", port, "--", "set", "Interface", port, "type=vxlan",
                  "options:remote_ip=%s" % peer, "options:local_ip=127.0.0.1", "options:key=flow")
        yield
    finally:
        for bridge in BRIDGES:
            vsctl("--if-exists", "del-br", bridge)


def query_like_the_module():
    argv = overcloud_state.OVS_QUERY
    assert argv[0] == "sudo"
    proc = subprocess.run(argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    return {"rc": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}


def judge(result, peers):
    node = overcloud_state.ovs_state(result["stdout"])
    assert node is not None, "the query's output was not understood: rc %s, %s" % (result["rc"], result["stderr"])
    report = validation.Report()
    validation.check_ovs_node(report, "overcloud-novacompute-0", node["bridges"],
                              validation.parse_tunnels(node["interfaces"]), peers, "openvswitch")
    return {c["check"].split(" ")[0]: c for c in report.checks}


def test_the_modules_ovs_query_reads_bridges_and_the_vxlan_mesh(overcloud_like_ovs):
    result = query_like_the_module()
    assert result["rc"] == 0, result["stderr"]
    checks = judge(result, PEERS)
    assert checks["bridges"]["ok"], checks
    assert checks["VXLAN"]["ok"], checks
    # A peer without a tunnel is caught, and so is a missing bridge.
    checks = judge(result, PEERS + ["127.0.0.4"])
    assert not checks["VXLAN"]["ok"] and "127.0.0.4" in checks["VXLAN"]["detail"]
    vsctl("del-br", "br-ex")
    checks = judge(query_like_the_module(), PEERS)
    assert not checks["bridges"]["ok"] and "br-ex" in checks["bridges"]["detail"]
