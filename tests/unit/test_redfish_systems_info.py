# -*- coding: utf-8 -*-
"""redfish_systems_info: main() with its real argument checks - the password is required, every
system answering is returned, one that does not fails the call naming it. HTTP is the fake
``request`` of test_redfish.py; a real emulator answers in tests/integration/test_redfish_bmc.py."""
from ansible_collections.labkit.tripleo.plugins.module_utils import redfish
from ansible_collections.labkit.tripleo.plugins.modules import redfish_systems_info

from module_harness import run_main
from test_redfish import answering

ARGS = {"systems": ["n1", "n2"], "address": "::1", "port": 8001, "password": "secret"}


def test_every_system_answers(monkeypatch):
    monkeypatch.setattr(redfish, "request", answering())
    kind, result, _warnings = run_main(monkeypatch, redfish_systems_info, ARGS)
    assert kind == "exit" and result["changed"] is False and result["url"] == "http://[::1]:8001"
    assert [(s["name"], s["id"], s["power_state"]) for s in result["systems"]] == [
        ("n1", "uuid-n1", "Off"), ("n2", "uuid-n2", "Off")]
    assert result["unverified"] == []


def test_a_system_not_answering_fails_the_call_naming_it(monkeypatch):
    monkeypatch.setattr(redfish, "request", answering(down=("n2",)))
    kind, result, _warnings = run_main(monkeypatch, redfish_systems_info, ARGS)
    assert kind == "fail" and [s["name"] for s in result["systems"]] == ["n1"]
    assert result["msg"] == ("Redfish systems not answering: n2 (http://[::1]:8001/redfish/v1/Systems/n2): "
                             "Connection refused")


def test_check_mode_lists_a_system_not_answering_instead_of_failing(monkeypatch):
    # A check run's BMC phase started or reconfigured nothing, so an emulator the real run would
    # fix first may still refuse; the check run reports it rather than failing on it.
    monkeypatch.setattr(redfish, "request", answering(down=("n2",)))
    kind, result, warnings = run_main(monkeypatch, redfish_systems_info, ARGS, check_mode=True)
    assert kind == "exit" and [s["name"] for s in result["systems"]] == ["n1"]
    assert result["unverified"] == ["n2 (http://[::1]:8001/redfish/v1/Systems/n2): Connection refused"]
    assert len(warnings) == 1 and "n2" in warnings[0] and "secret" not in warnings[0]


def test_the_password_is_required(monkeypatch):
    kind, result, _warnings = run_main(monkeypatch, redfish_systems_info, {"systems": ["n1"]})
    assert kind == "fail" and "password" in result["msg"]
