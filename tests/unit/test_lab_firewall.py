"""The firewall plan: exactly the wanted rules the lab owns, foreign rules never claimed or removed."""

import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import lab_firewall as fw


def zone(ports=(), rich=(), runtime_only=False, permanent_only=False):
    layer = {"ports": list(ports), "rich_rules": list(rich)}
    empty = {"ports": [], "rich_rules": []}
    return {"runtime": empty if permanent_only else layer, "permanent": empty if runtime_only else layer}


def test_ports_are_parsed_and_bad_ones_refused():
    assert fw.parse_ports("6230-6232/udp") == ("6230-6232", "udp")
    assert fw.parse_ports("8000/tcp") == ("8000", "tcp")
    for bad in ("0/udp", "70000/udp", "7002-7001/udp", "7001/sctp", "7001", "7001-/udp", "7001/udp; reboot"):
        with pytest.raises(ValueError):
            fw.parse_ports(bad)


def test_zone_wide_without_sources_and_one_rich_rule_per_source_with_them():
    assert fw.wanted_rules("public", ["7001-7003/udp"], []) == [
        {"zone": "public", "port": "7001-7003", "protocol": "udp", "source": None}]
    rules = fw.wanted_rules("public", ["7001-7003/udp", "7005/udp"], ["192.0.2.1/32", "fd00::/64"])
    assert len(rules) == 4 and all(r["source"] for r in rules)
    assert fw.rich_rule(rules[0]) == \
        'rule family="ipv4" source address="192.0.2.1/32" port port="7001-7003" protocol="udp" accept'
    assert fw.rich_rule(rules[1]).startswith('rule family="ipv6" source address="fd00::/64"')


def test_rich_rule_text_is_what_firewalld_itself_prints():
    """firewalld's parser lives with the system Python (python3-firewall), which the modules run on."""
    import json
    import pathlib
    import subprocess
    system_python = "/usr/bin/python3"
    if subprocess.run([system_python, "-c", "import firewall.core.rich"], check=False).returncode != 0:
        pytest.skip("python3-firewall is not installed")
    rules = [fw.rich_rule(r) for r in fw.wanted_rules("public", ["7001-7003/udp", "623/udp"],
                                                      ["192.0.2.0/24", "fd00::1/128", "127.0.0.1/32"])]
    script = "import json, sys\nfrom firewall.core.rich import Rich_Rule\n" \
             "print(json.dumps([str(Rich_Rule(rule_str=r)) for r in json.loads(sys.argv[1])]))"
    out = subprocess.run([system_python, "-c", script, json.dumps(rules)], stdout=subprocess.PIPE, check=True,
                         universal_newlines=True, cwd=str(pathlib.Path(__file__).parent)).stdout
    assert json.loads(out) == rules


def test_fresh_lab_claims_and_adds_in_both_layers():
    wanted = fw.wanted_rules("public", ["7001-7002/udp"], [])
    plan = fw.plan(wanted, [], {"public": zone()})
    assert plan["claim"] == wanted and plan["owned"] == wanted
    assert sorted(layer for layer, _unused in plan["add"]) == ["permanent", "runtime"] and not plan["remove"]


def test_converged_lab_changes_nothing():
    wanted = fw.wanted_rules("public", ["7001-7002/udp"], [])
    plan = fw.plan(wanted, wanted, {"public": zone(ports=[("7001-7002", "udp")])})
    assert not plan["add"] and not plan["remove"] and not plan["claim"] and plan["owned"] == wanted


def test_zone_wide_to_scoped_removes_the_zone_wide_port():
    zone_wide = fw.wanted_rules("public", ["7001-7002/udp"], [])
    scoped = fw.wanted_rules("public", ["7001-7002/udp"], ["192.0.2.1/32"])
    plan = fw.plan(scoped, zone_wide, {"public": zone(ports=[("7001-7002", "udp")])})
    assert [(layer, r["source"]) for layer, r in plan["remove"]] == [("runtime", None), ("permanent", None)]
    assert plan["owned"] == scoped and len(plan["add"]) == 2


def test_dropped_source_and_other_zone_are_removed_only_where_present():
    old = fw.wanted_rules("public", ["7001/udp"], ["192.0.2.1/32", "192.0.2.2/32"])
    new = fw.wanted_rules("work", ["7001/udp"], ["192.0.2.1/32"])
    snapshot = {"public": zone(rich=[fw.rich_rule(old[0])], runtime_only=True), "work": zone()}
    plan = fw.plan(new, old, snapshot)
    assert [(layer, r["zone"], r["source"]) for layer, r in plan["remove"]] == [("runtime", "public", "192.0.2.1/32")]
    assert plan["owned"] == new


def test_a_foreign_identical_rule_is_neither_claimed_nor_removed():
    wanted = fw.wanted_rules("public", ["7001/udp"], [])
    plan = fw.plan(wanted, [], {"public": zone(ports=[("7001", "udp")])})
    assert plan["foreign"] == wanted and not plan["claim"] and not plan["add"] and plan["owned"] == []
    # ...and teardown (nothing wanted) of a lab that never owned it leaves it.
    assert fw.plan([], [], {"public": zone(ports=[("7001", "udp")])})["remove"] == []


def test_an_owned_rule_missing_from_one_layer_is_completed():
    wanted = fw.wanted_rules("public", ["7001/udp"], [])
    plan = fw.plan(wanted, wanted, {"public": zone(ports=[("7001", "udp")], runtime_only=True)})
    assert [layer for layer, _unused in plan["add"]] == ["permanent"]


def test_teardown_removes_owned_rules_of_every_zone():
    owned = fw.wanted_rules("public", ["7001/udp"], []) + fw.wanted_rules("work", ["7001/udp"], ["192.0.2.1/32"])
    snapshot = {"public": zone(ports=[("7001", "udp")]), "work": zone(rich=[fw.rich_rule(owned[1])])}
    plan = fw.plan([], owned, snapshot)
    assert len(plan["remove"]) == 4 and plan["owned"] == []


def test_a_foreign_zone_wide_port_is_reported_when_the_lab_is_scoped():
    scoped = fw.wanted_rules("public", ["7001/udp"], ["192.0.2.1/32"])
    snapshot = {"public": zone(ports=[("7001", "udp")])}
    assert "does not narrow it" in fw.wider_than_wanted(scoped, [], snapshot)[0]
    # Not when the zone-wide port is the lab's own (it is being removed in this run).
    assert fw.wider_than_wanted(scoped, fw.wanted_rules("public", ["7001/udp"], []), snapshot) == []


def test_rules_are_claimed_in_the_record_before_firewalld_is_touched():
    from ansible_collections.labkit.tripleo.plugins.modules import lab_firewall as module

    events = []

    class Killed(Exception):
        pass

    class FirewalldDyingAtFirstChange(object):
        def change(self, action, layer, rule):
            events.append(("firewalld", action, layer))
            raise Killed()

    owned = fw.wanted_rules("public", ["7001/udp"], [])
    wanted = fw.wanted_rules("public", ["7001/udp"], ["192.0.2.1/32"])
    changes = fw.plan(wanted, owned, {"public": zone(ports=[("7001", "udp")])})
    with pytest.raises(Killed):
        module.apply_changes(FirewalldDyingAtFirstChange(), changes, owned,
                             lambda rules: events.append(("record", [fw.describe(r) for r in rules])))
    # Both the old rule (still to remove) and the new one (about to be added) are the lab's on record.
    assert events[0] == ("record", ["7001/udp zone-wide in zone public", "7001/udp from 192.0.2.1/32 in zone public"])
    assert events[1][0] == "firewalld"
