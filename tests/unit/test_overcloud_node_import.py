"""overcloud_node_import: the refresh commands for the lab's nodes, in a safe order, with every
password masked, and the 0600 copy of what Ironic was given. The import, refresh and marks run
for real against Ironic in tests/integration/test_tripleo_phases.py."""
import os

from ansible_collections.labkit.tripleo.plugins.module_utils import ironic_nodes
from ansible_collections.labkit.tripleo.plugins.modules import overcloud_node_import as imp

from test_ironic_nodes import INSTACKENV, ironic


class Ports(object):
    """What Cli.ports() answers: {node uuid: {mac: port uuid}}."""

    def __init__(self, ports):
        self._ports = ports

    def ports(self):
        return self._ports


def test_a_mac_moved_between_nodes_is_deleted_before_it_is_created_again():
    wanted = ironic_nodes.wanted_nodes(INSTACKENV)
    marked = {"labkit_lab": "lab", "labkit_instance": "i1"}
    nodes = {"c-1": ironic("c-1", extra=marked),
             "r-1": ironic("r-1", driver="redfish", extra=marked,
                           info={"redfish_address": "http://127.0.0.1:8000", "redfish_username": "admin",
                                 "redfish_system_id": "/redfish/v1/Systems/r-1", "redfish_password": "******"})}
    # r-1 holds c-1's MAC; c-1 holds r-1's.
    cli = Ports({"uuid-c-1": {"52:54:00:aa:00:02": "port-a"}, "uuid-r-1": {"52:54:00:aa:00:01": "port-b"}})
    last = {"c-1": {"password": "pw1"}, "r-1": {"password": "pw2"}}
    commands, refreshed = imp.refresh_commands(cli, nodes, ["c-1", "r-1"], wanted, last, "lab", "i1")
    verbs = [c[1:3] for c in commands]
    assert verbs == [["port", "delete"], ["port", "delete"], ["port", "create"], ["port", "create"]]
    assert sorted(refreshed) == ["c-1", "r-1"]


def test_an_unmarked_node_gets_the_mark_and_nothing_else_when_it_matches():
    wanted = ironic_nodes.wanted_nodes(INSTACKENV)
    cli = Ports({"uuid-c-1": {"52:54:00:aa:00:01": "port-a"}})
    commands, refreshed = imp.refresh_commands(cli, {"c-1": ironic("c-1")}, ["c-1"], wanted,
                                               {"c-1": {"password": "pw1"}}, "lab", "i1")
    assert commands == [["baremetal", "node", "set", "uuid-c-1"] + ironic_nodes.mark_args("lab", "i1")]
    assert refreshed == {}


def test_passwords_are_masked_in_every_reported_command():
    wanted = ironic_nodes.wanted_nodes(INSTACKENV)
    commands = [["baremetal", "node", "set", "u", "--driver-info", "ipmi_password=pw1"],
                ["baremetal", "node", "set", "u", "--driver-info", "ipmi_port=7001"]]
    shown = imp.masked(commands, wanted)
    assert shown[0][-1] == "ipmi_password=********" and shown[1] == commands[1]
    assert "pw1" not in repr(shown) and "pw2" not in repr(shown)


def test_what_ironic_was_given_is_kept_private_beside_instackenv(tmp_path):
    instackenv = str(tmp_path / "instackenv.json")
    imp.remember_import(instackenv, INSTACKENV)
    kept = imp.imported_path(instackenv)
    assert os.stat(kept).st_mode & 0o777 == 0o600
    assert imp.read_instackenv(kept) == INSTACKENV
    assert imp.read_instackenv(str(tmp_path / "missing.json")) is None
    imp.remember_import(str(tmp_path / "other" / "instackenv.json"), None)
    assert not (tmp_path / "other").exists()
