"""instackenv.json per release (Queens and Train against their documented formats; Wallaby and Zed
also by the real python-tripleoclient in tests/integration)."""
import copy

import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import instackenv

from tripleo_data import BMC, NODES


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
