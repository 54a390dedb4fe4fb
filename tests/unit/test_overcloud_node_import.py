"""overcloud_node_import: what the module runs against Ironic, and in what order - the lab's nodes
deleted and no other, a lab in line left alone, a missing node imported, marked, inspected and
provided, a foreign node refused before any change, check mode predicting without writing. The
refresh commands, masking, teardown commands and the copy of what Ironic was given are tested in
test_ironic_nodes.py; ``openstack`` here is FakeIronic, and the real runs are in
tests/integration/test_tripleo_phases.py."""
import json
import os

import pytest


from ansible_collections.labkit.tripleo.plugins.module_utils import ironic_nodes
from ansible_collections.labkit.tripleo.plugins.modules import overcloud_node_import as imp

import module_harness

from test_ironic_nodes import INSTACKENV

MARK = {"labkit_lab": "lab", "labkit_instance": "i1"}
C1_INFO = {"ipmi_address": "127.0.0.1", "ipmi_port": 7001, "ipmi_username": "admin"}
R1_INFO = {"redfish_address": "http://127.0.0.1:8000", "redfish_username": "admin",
           "redfish_system_id": "/redfish/v1/Systems/r-1"}


def node(name, state="available", driver="ipmi", info=None, extra=None, inspected=True, instance_uuid=None):
    return {"name": name, "uuid": "uuid-" + name, "provision_state": state, "driver": driver,
            "driver_info": dict(info if info is not None else C1_INFO), "extra": dict(extra or {}),
            "inspection_finished_at": "2024-01-01T00:00:00" if inspected else None, "instance_uuid": instance_uuid,
            "properties": {"cpus": "8", "memory_mb": "8192", "local_gb": "39"}}


class FakeIronic(object):
    """Answers the ``openstack`` commands the module runs from the nodes and ports it holds.

    An import registers every instackenv.json node it lacks (not inspected, no mark) and makes
    every node of the file manageable, as TripleO's does; manage, inspect and provide move nodes
    to their state at once.
    """

    def __init__(self, nodes=(), ports=None):
        self.nodes = dict((n["name"], n) for n in nodes)
        self.ports = dict(ports or {})  # mac -> node uuid
        self.calls = []

    def writes(self):
        return [c for c in self.calls if c[1:3] != ["node", "list"] and c[1:3] != ["port", "list"]]

    def __call__(self, argv):
        assert argv[0] == "openstack", argv
        args = list(argv[1:])
        self.calls.append(args)
        by_uuid = dict((n["uuid"], n) for n in self.nodes.values())
        if args == ["baremetal", "node", "list", "--long", "-f", "json"]:
            return 0, json.dumps(sorted(self.nodes.values(), key=lambda n: n["name"])), ""
        if args[:3] == ["baremetal", "port", "list"]:
            return 0, json.dumps([{"uuid": "port-" + mac, "address": mac, "node_uuid": uuid}
                                  for mac, uuid in sorted(self.ports.items())]), ""
        if args[:3] == ["overcloud", "node", "import"]:
            with open(args[3]) as stream:
                for entry in json.load(stream)["nodes"]:
                    if entry["name"] not in self.nodes:
                        self.nodes[entry["name"]] = node(entry["name"], "manageable", inspected=False,
                                                         **({"driver": "redfish", "info": R1_INFO}
                                                            if entry["pm_type"] == "redfish" else {}))
                        for port in entry["ports"]:
                            self.ports[port["address"].lower()] = "uuid-" + entry["name"]
                    self.nodes[entry["name"]]["provision_state"] = "manageable"
            return 0, "", ""
        if args[:3] == ["baremetal", "node", "set"]:
            target = by_uuid[args[3]]
            for flag, value in zip(args[4::2], args[5::2]):
                assert flag in ("--extra", "--driver-info"), args
                key, _unused, text = value.partition("=")
                if flag == "--extra":
                    target["extra"][key] = text
                elif not key.endswith("_password"):  # Ironic never shows a password
                    target["driver_info"][key] = int(text) if key.endswith("_port") else text
            return 0, "", ""
        if args[:3] in (["baremetal", "node", "manage"], ["baremetal", "node", "inspect"]):
            for name in args[3:]:
                self.nodes[name].update(provision_state="manageable")
                if args[2] == "inspect":
                    self.nodes[name]["inspection_finished_at"] = "2024-01-01T00:00:00"
            return 0, "", ""
        if args[:3] == ["overcloud", "node", "provide"]:
            for name in args[3:]:
                self.nodes[name]["provision_state"] = "available"
            return 0, "", ""
        if args[:4] == ["baremetal", "node", "maintenance", "set"]:
            return 0, "", ""
        if args[:3] == ["baremetal", "node", "delete"]:
            for name in args[3:]:
                del self.nodes[name]
            return 0, "", ""
        raise AssertionError("unexpected command %r" % args)


def run_main(monkeypatch, ironic, check_mode=False, **args):
    """main() with its real argument checks, FakeIronic behind run_command; ("exit"/"fail", result, warnings)."""
    return module_harness.run_main(monkeypatch, imp, dict(dict(lab="lab", instance="i1", nodes=["c-1", "r-1"]), **args),
                                   check_mode, commands=ironic)


@pytest.fixture
def instackenv(tmp_path):
    path = tmp_path / "instackenv.json"
    path.write_text(json.dumps(INSTACKENV))
    return str(path)


def in_line():
    """Ironic holding the lab's two nodes as instackenv.json describes them."""
    return FakeIronic([node("c-1", extra=MARK), node("r-1", driver="redfish", info=R1_INFO, extra=MARK)],
                      {"52:54:00:aa:00:01": "uuid-c-1", "52:54:00:aa:00:02": "uuid-r-1"})


# ------------------------------------------------------------ state=absent

def test_teardown_deletes_the_labs_nodes_and_leaves_a_foreign_one(monkeypatch):
    ironic = FakeIronic([node("c-1", "active", extra=MARK, instance_uuid="vm-1"),
                         node("r-1", extra={"labkit_lab": "other"}), node("x-1", extra=MARK)])
    kind, result, warnings = run_main(monkeypatch, ironic, state="absent")
    assert kind == "exit" and result["changed"] is True
    assert result["commands"] == [
        ["baremetal", "node", "maintenance", "set", "--reason", "labkit.tripleo teardown of the lab", "c-1"],
        ["baremetal", "node", "delete", "c-1"]]
    assert ironic.writes() == result["commands"]
    assert result["nodes"] == [{"name": "c-1", "provision_state": "deleted"}]
    assert result["left"] == ["r-1"] and result["refreshed"] == {}
    assert warnings == ["left in Ironic: r-1 belongs to lab other"]
    assert sorted(ironic.nodes) == ["r-1", "x-1"]


def test_teardown_in_check_mode_and_of_an_empty_ironic_deletes_nothing(monkeypatch):
    ironic = FakeIronic([node("c-1", extra=MARK)])
    kind, result, _unused = run_main(monkeypatch, ironic, check_mode=True, state="absent")
    assert kind == "exit" and result["changed"] is True
    assert result["commands"] == [["baremetal", "node", "delete", "c-1"]]
    assert ironic.writes() == []
    kind, result, _unused = run_main(monkeypatch, FakeIronic(), state="absent")
    assert kind == "exit" and result["changed"] is False and result["commands"] == [] and result["left"] == []


# ------------------------------------------------------------ state=present

def test_a_lab_in_line_with_instackenv_is_left_alone(monkeypatch, instackenv):
    ironic_nodes.remember_import(instackenv, INSTACKENV)
    ironic = in_line()
    kind, result, _unused = run_main(monkeypatch, ironic, instackenv=instackenv)
    assert kind == "exit" and result["changed"] is False and result["commands"] == [] and result["refreshed"] == {}
    assert [n["name"] for n in result["nodes"]] == ["c-1", "r-1"]
    assert all("last_error" not in n for n in result["nodes"])
    assert ironic.writes() == []


def test_a_changed_bmc_port_is_refreshed_read_back_and_remembered(monkeypatch, instackenv):
    ironic_nodes.remember_import(instackenv, INSTACKENV)
    ironic = in_line()
    ironic.nodes["c-1"]["driver_info"]["ipmi_port"] = 7009
    os.chmod(ironic_nodes.imported_path(instackenv), 0o644)
    kind, result, _unused = run_main(monkeypatch, ironic, instackenv=instackenv)
    assert kind == "exit" and result["changed"] is True
    assert result["refreshed"] == {"c-1": ["ipmi_port 7009 -> 7001"]}
    assert result["commands"] == [["baremetal", "node", "set", "uuid-c-1", "--driver-info", "ipmi_port=7001"]]
    assert ironic.writes() == result["commands"] and ironic.nodes["c-1"]["driver_info"]["ipmi_port"] == 7001
    # Written again (0600) after the refresh.
    assert os.stat(ironic_nodes.imported_path(instackenv)).st_mode & 0o777 == 0o600


def test_a_refresh_ironic_does_not_take_fails_naming_what_still_differs(monkeypatch, instackenv):
    ironic_nodes.remember_import(instackenv, INSTACKENV)
    ironic = in_line()
    ironic.nodes["c-1"]["driver_info"]["ipmi_port"] = 7009
    real = ironic.__call__

    def ignoring_sets(argv):
        if argv[1:4] == ["baremetal", "node", "set"]:
            ironic.calls.append(list(argv[1:]))
            return 0, "", ""
        return real(argv)

    kind, result, _unused = run_main(monkeypatch, ignoring_sets, instackenv=instackenv)
    assert kind == "fail" and result["changed"] is True
    assert result["msg"] == "Ironic still differs from instackenv.json after the refresh: c-1: ipmi_port 7009 -> 7001"


def test_a_missing_node_is_imported_marked_inspected_and_provided(monkeypatch, instackenv, tmp_path):
    ironic = in_line()
    del ironic.nodes["r-1"]
    del ironic.ports["52:54:00:aa:00:02"]
    log = tmp_path / "overcloud-node-import.log"
    log.write_text("the run before\n")
    kind, result, _unused = run_main(monkeypatch, ironic, instackenv=instackenv, log=str(log))
    assert kind == "exit" and result["changed"] is True
    writes = ironic.writes()
    assert writes[0] == ["baremetal", "node", "set", "uuid-c-1", "--driver-info", "ipmi_password=pw1"]
    assert writes[1:] == [
        ["overcloud", "node", "import", instackenv],
        ["baremetal", "node", "set", "uuid-r-1"] + ironic_nodes.mark_args("lab", "i1"),
        ["baremetal", "node", "inspect", "r-1"],
        ["overcloud", "node", "provide", "c-1", "r-1"]]
    # Reported with the password masked; the mark comes last, after the commands of the run.
    assert result["commands"][0][-1] == "ipmi_password=********" and "pw1" not in repr(result["commands"])
    assert result["commands"][-1] == writes[2]
    assert [(n["name"], n["provision_state"]) for n in result["nodes"]] == [("c-1", "available"), ("r-1", "available")]
    assert ironic.nodes["r-1"]["extra"] == MARK
    assert ironic_nodes.read_instackenv(ironic_nodes.imported_path(instackenv)) == INSTACKENV
    # The import log holds this run's commands only, each with its exit code, passwords masked.
    text = log.read_text()
    assert os.stat(str(log)).st_mode & 0o777 == 0o600
    assert "the run before" not in text and "pw1" not in text
    assert [line for line in text.splitlines() if line.startswith("$ ")] == [
        "$ openstack " + " ".join(w) for w in result["commands"][:2] + result["commands"][-1:] + result["commands"][2:4]]
    assert text.count("[rc 0]") == 5


def test_an_import_that_leaves_a_node_behind_logs_which_and_why(monkeypatch, instackenv, tmp_path):
    ironic = in_line()
    del ironic.nodes["r-1"]
    real = ironic.__call__

    def import_leaving_r1_in_enroll(argv):
        answer = real(argv)
        if argv[1:4] == ["overcloud", "node", "import"]:
            ironic.nodes["r-1"].update(provision_state="enroll", last_error="Failed to get power state")
        return answer

    log = tmp_path / "import.log"
    kind, result, _unused = run_main(monkeypatch, import_leaving_r1_in_enroll, instackenv=instackenv, log=str(log))
    assert kind == "fail"
    assert log.read_text().splitlines()[-1] == "FAILED: " + result["msg"]
    assert "r-1 (enroll: Failed to get power state)" in result["msg"]


def test_a_lab_in_line_writes_no_import_log(monkeypatch, instackenv, tmp_path):
    ironic_nodes.remember_import(instackenv, INSTACKENV)
    kind, _result, _unused = run_main(monkeypatch, in_line(), instackenv=instackenv, log=str(tmp_path / "import.log"))
    assert kind == "exit" and not (tmp_path / "import.log").exists()


def test_check_mode_predicts_the_import_without_making_it(monkeypatch, instackenv):
    ironic_nodes.remember_import(instackenv, INSTACKENV)
    ironic = in_line()
    del ironic.nodes["r-1"]
    kind, result, _unused = run_main(monkeypatch, ironic, check_mode=True, instackenv=instackenv)
    assert kind == "exit" and result["changed"] is True
    assert result["commands"] == [["overcloud", "node", "import", instackenv], ["baremetal", "node", "inspect", "r-1"],
                                  ["overcloud", "node", "provide", "r-1"]]
    assert ironic.writes() == []


def test_a_foreign_node_named_like_a_lab_node_is_refused_before_any_change(monkeypatch, instackenv):
    ironic = in_line()
    ironic.nodes["r-1"]["extra"] = {"labkit_lab": "lab", "labkit_instance": "i0"}
    kind, result, _unused = run_main(monkeypatch, ironic, instackenv=instackenv)
    assert kind == "fail" and ironic.writes() == []
    assert result["msg"] == ("Ironic holds nodes named like the lab's that are not the lab's: r-1 belongs to another "
                             "instance of lab lab (i0); nothing was changed. Delete or rename them, or rename the "
                             "lab's nodes")


def test_a_node_instackenv_does_not_describe_is_refused(monkeypatch, instackenv):
    kind, result, _unused = run_main(monkeypatch, in_line(), instackenv=instackenv, nodes=["c-1", "z-9"])
    assert kind == "fail" and result["msg"] == "instackenv.json has no node z-9"


def test_an_instackenv_that_is_not_json_is_refused(monkeypatch, tmp_path):
    path = tmp_path / "instackenv.json"
    path.write_text("{not json")
    kind, result, _unused = run_main(monkeypatch, in_line(), instackenv=str(path))
    assert kind == "fail" and result["msg"].startswith("instackenv.json is not JSON: ")
