"""Ironic nodes: the lab's by mark, adopted by BMC, refused otherwise; refreshed field by field, by
commands in a safe order with every password masked; the 0600 copy of what Ironic was given; teardown."""
import os

from ansible_collections.labkit.tripleo.plugins.module_utils import ironic_nodes as ir
from ansible_collections.labkit.tripleo.plugins.module_utils.baremetal_cli import node_rows, port_rows

INSTACKENV = {"nodes": [
    {"name": "c-1", "pm_type": "ipmi", "pm_addr": "127.0.0.1", "pm_port": "7001", "pm_user": "admin",
     "pm_password": "pw1", "ports": [{"address": "52:54:00:AA:00:01"}]},
    {"name": "r-1", "pm_type": "redfish", "pm_addr": "http://127.0.0.1:8000", "pm_system_id": "/redfish/v1/Systems/r-1",
     "pm_user": "admin", "pm_password": "pw2", "ports": [{"address": "52:54:00:aa:00:02"}]},
]}


def ironic(name, driver="ipmi", info=None, extra=None):
    return {"uuid": "uuid-" + name, "driver": driver, "extra": extra or {},
            "driver_info": info if info is not None else {"ipmi_address": "127.0.0.1", "ipmi_port": 7001,
                                                          "ipmi_username": "admin", "ipmi_password": "******"}}


def test_instackenv_maps_onto_ironic_fields_as_tripleo_common_does():
    wanted = ir.wanted_nodes(INSTACKENV)
    assert wanted["c-1"]["driver_info"] == {"ipmi_address": "127.0.0.1", "ipmi_port": 7001, "ipmi_username": "admin"}
    assert wanted["c-1"]["macs"] == ["52:54:00:aa:00:01"] and wanted["c-1"]["password_key"] == "ipmi_password"
    assert wanted["r-1"]["driver_info"]["redfish_system_id"] == "/redfish/v1/Systems/r-1"
    assert ir.wanted_nodes({"nodes": [dict(INSTACKENV["nodes"][0], pm_type="pxe_ipmitool", ports=[],
                                           mac=["52:54:00:AA:00:09"])]})["c-1"]["macs"] == ["52:54:00:aa:00:09"]


def test_nodes_are_the_labs_by_mark_adopted_by_bmc_and_refused_otherwise():
    wanted = ir.wanted_nodes(INSTACKENV)
    nodes = {"c-1": ironic("c-1", extra={"labkit_lab": "lab", "labkit_instance": "i1"})}
    assert ir.classify(nodes, wanted, "lab", "i1") == (["c-1"], [], [], ["r-1"])
    # Unmarked with the lab's BMC: registered by 0.1, adopted.
    assert ir.classify({"c-1": ironic("c-1")}, wanted, "lab", "i1")[1] == ["c-1"]
    # Unmarked with another BMC, another lab's, another instance of this lab: refused, named.
    other_bmc = ironic("c-1", info={"ipmi_address": "192.0.2.9", "ipmi_port": 623})
    assert "no labkit mark, BMC 192.0.2.9/623" in ir.classify({"c-1": other_bmc}, wanted, "lab", "i1")[2][0]
    assert "belongs to lab other" in ir.classify({"c-1": ironic("c-1", extra={"labkit_lab": "other"})},
                                                 wanted, "lab", "i1")[2][0]
    stranger = ironic("c-1", extra={"labkit_lab": "lab", "labkit_instance": "i0"})
    assert "another instance of lab lab (i0)" in ir.classify({"c-1": stranger}, wanted, "lab", "i1")[2][0]


def test_a_matching_node_needs_nothing_but_a_password_it_was_never_given():
    want = ir.wanted_nodes(INSTACKENV)["c-1"]
    texts, args, add, remove = ir.differences(ironic("c-1"), ["52:54:00:aa:00:01"], want, "pw1")
    assert (texts, args, add, remove) == ([], [], [], [])
    texts, args, _unused, _unused = ir.differences(ironic("c-1"), ["52:54:00:aa:00:01"], want, None)
    assert texts == ["BMC password"] and args == ["--driver-info", "ipmi_password=pw1"]


def test_a_moved_bmc_and_changed_macs_are_set_and_reported():
    want = ir.wanted_nodes(INSTACKENV)["c-1"]
    node = ironic("c-1", info={"ipmi_address": "127.0.0.1", "ipmi_port": 7009, "ipmi_username": "admin"})
    texts, args, add, remove = ir.differences(node, ["52:54:00:aa:00:07"], want, "pw1")
    assert texts == ["ipmi_port 7009 -> 7001", "MACs 52:54:00:aa:00:07 -> 52:54:00:aa:00:01"]
    assert args == ["--driver-info", "ipmi_port=7001"]
    assert (add, remove) == (["52:54:00:aa:00:01"], ["52:54:00:aa:00:07"])


def test_a_changed_driver_resets_interfaces_and_sets_every_field():
    want = ir.wanted_nodes(INSTACKENV)["r-1"]
    texts, args, _unused, _unused = ir.differences(ironic("r-1"), ["52:54:00:aa:00:02"], want, "pw2")
    assert texts[0] == "driver ipmi -> redfish" and "BMC password" in texts
    assert args[:3] == ["--driver", "redfish", "--reset-interfaces"]
    assert "redfish_address=http://127.0.0.1:8000" in args and "redfish_password=pw2" in args


def test_the_cli_rows_carry_driver_info_extra_and_ports():
    rows = node_rows('[{"name": "c-1", "uuid": "u", "provision_state": "available", "driver": "ipmi", '
                     '"driver_info": {"ipmi_port": 7001}, "extra": "{\\"labkit_lab\\": \\"lab\\"}"}]')
    assert rows["c-1"]["driver_info"] == {"ipmi_port": 7001} and rows["c-1"]["extra"] == {"labkit_lab": "lab"}
    ports = port_rows('[{"uuid": "p1", "address": "52:54:00:AA:00:01", "node_uuid": "u"}, '
                      '{"UUID": "p2", "Address": "52:54:00:aa:00:02", "Node UUID": "u"}]')
    assert ports == {"u": {"52:54:00:aa:00:01": "p1", "52:54:00:aa:00:02": "p2"}}
    assert ir.mark_args("lab", "i1") == ["--extra", "labkit_lab=lab", "--extra", "labkit_instance=i1"]
    assert ir.needs_mark(ironic("c-1", extra={"labkit_lab": "lab"}), "lab", "i1")


# ------------------------------------------------------------ refresh commands

class Ports(object):
    """What Cli.ports() answers: {node uuid: {mac: port uuid}}."""

    def __init__(self, ports):
        self._ports = ports

    def ports(self):
        return self._ports


def test_a_mac_moved_between_nodes_is_deleted_before_it_is_created_again():
    wanted = ir.wanted_nodes(INSTACKENV)
    marked = {"labkit_lab": "lab", "labkit_instance": "i1"}
    nodes = {"c-1": ironic("c-1", extra=marked),
             "r-1": ironic("r-1", driver="redfish", extra=marked,
                           info={"redfish_address": "http://127.0.0.1:8000", "redfish_username": "admin",
                                 "redfish_system_id": "/redfish/v1/Systems/r-1", "redfish_password": "******"})}
    # r-1 holds c-1's MAC; c-1 holds r-1's.
    cli = Ports({"uuid-c-1": {"52:54:00:aa:00:02": "port-a"}, "uuid-r-1": {"52:54:00:aa:00:01": "port-b"}})
    last = {"c-1": {"password": "pw1"}, "r-1": {"password": "pw2"}}
    commands, refreshed = ir.refresh_commands(cli, nodes, ["c-1", "r-1"], wanted, last, "lab", "i1")
    verbs = [c[1:3] for c in commands]
    assert verbs == [["port", "delete"], ["port", "delete"], ["port", "create"], ["port", "create"]]
    assert sorted(refreshed) == ["c-1", "r-1"]


def test_an_unmarked_node_gets_the_mark_and_nothing_else_when_it_matches():
    wanted = ir.wanted_nodes(INSTACKENV)
    cli = Ports({"uuid-c-1": {"52:54:00:aa:00:01": "port-a"}})
    commands, refreshed = ir.refresh_commands(
        cli, {"c-1": ironic("c-1")}, ["c-1"], wanted, {"c-1": {"password": "pw1"}}, "lab", "i1")
    assert commands == [["baremetal", "node", "set", "uuid-c-1"] + ir.mark_args("lab", "i1")]
    assert refreshed == {}


def test_passwords_are_masked_in_every_reported_command():
    wanted = ir.wanted_nodes(INSTACKENV)
    commands = [["baremetal", "node", "set", "u", "--driver-info", "ipmi_password=pw1"],
                ["baremetal", "node", "set", "u", "--driver-info", "ipmi_port=7001"]]
    shown = ir.masked(commands, wanted)
    assert shown[0][-1] == "ipmi_password=********" and shown[1] == commands[1]
    assert "pw1" not in repr(shown) and "pw2" not in repr(shown)


def test_what_ironic_was_given_is_kept_private_beside_instackenv(tmp_path):
    instackenv = str(tmp_path / "instackenv.json")
    ir.remember_import(instackenv, INSTACKENV)
    kept = ir.imported_path(instackenv)
    assert os.stat(kept).st_mode & 0o777 == 0o600
    assert ir.read_instackenv(kept) == INSTACKENV
    assert ir.read_instackenv(str(tmp_path / "missing.json")) is None
    ir.remember_import(str(tmp_path / "other" / "instackenv.json"), None)
    assert not (tmp_path / "other").exists()


# ------------------------------------------------------------ teardown

def test_teardown_deletes_the_labs_nodes_in_maintenance_when_ironic_would_refuse():
    nodes = {"a": {"provision_state": "available"}, "b": {"provision_state": "active", "instance_uuid": "i"},
             "c": {"provision_state": "deploy failed"}, "d": {"provision_state": "manageable", "instance_uuid": None}}
    assert ir.teardown_commands(nodes, ["a", "b", "c", "d"]) == [
        ["baremetal", "node", "maintenance", "set", "--reason", "labkit.tripleo teardown of the lab", "b", "c"],
        ["baremetal", "node", "delete", "a", "b", "c", "d"]]
    assert ir.teardown_commands(nodes, ["a"]) == [["baremetal", "node", "delete", "a"]]
    assert ir.teardown_commands(nodes, []) == []
    for state in ir.DELETABLE_STATES:
        assert ir.teardown_commands({"n": {"provision_state": state}}, ["n"]) == [["baremetal", "node", "delete", "n"]]
