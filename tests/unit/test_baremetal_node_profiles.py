# -*- coding: utf-8 -*-
"""baremetal_node_profiles: which nodes get a capabilities update, the read-back check, missing
nodes (a failure, or a prediction in check mode), and the profiles' flavors. The capability
strings themselves are tested in test_baremetal_cli.py; here ``openstack`` is FakeUndercloud."""
import json

import pytest


from ansible_collections.labkit.tripleo.plugins.module_utils.baremetal_cli import Cli, parse_capabilities
from ansible_collections.labkit.tripleo.plugins.modules import baremetal_node_profiles as profiles

import module_harness
from module_harness import FakeFail

WANTED_FLAVOR = {"capabilities:profile": "control", "capabilities:boot_option": "local"}
NODES = [{"name": "control-1", "profile": "control"}, {"name": "compute-1", "profile": "compute"}]
SET = "profile:control,boot_option:local,boot_mode:bios"


class FakeUndercloud(object):
    """Answers the ``openstack`` commands the module runs from Ironic nodes and Nova flavors it holds.

    ``nodes``: name -> capabilities text. ``flavors``: name -> properties. ``string_properties``:
    print a flavor's properties the way older clients do ("key='value', ..."). ``sticky``: nodes
    whose capabilities a ``node set`` does not change (something else writes them back).
    """

    READS = (["baremetal", "node", "list"], ["flavor", "show"])

    def __init__(self, nodes=None, flavors=None, string_properties=False, sticky=()):
        self.nodes = dict(nodes or {})
        self.flavors = dict((k, dict(v)) for k, v in (flavors or {}).items())
        self.string_properties, self.sticky = string_properties, set(sticky)
        self.calls = []

    def __call__(self, argv):
        assert argv[0] == "openstack", argv
        args = list(argv[1:])
        self.calls.append(args)
        if args == ["baremetal", "node", "list", "--long", "-f", "json"]:
            return 0, json.dumps([{"name": name, "uuid": "uuid-" + name, "provision_state": "manageable",
                                   "properties": {"capabilities": caps, "cpus": "8"}}
                                  for name, caps in sorted(self.nodes.items())]), ""
        if args[:4] == ["baremetal", "node", "set", "--property"] and len(args) == 6:
            assert args[4].startswith("capabilities=")
            if args[5] not in self.sticky:
                self.nodes[args[5]] = args[4][len("capabilities="):]
            return 0, "", ""
        if args[:2] == ["flavor", "show"] and args[3:] == ["-f", "json"]:
            if args[2] not in self.flavors:
                return 1, "", "No Flavor found for %s" % args[2]
            properties = self.flavors[args[2]]
            if self.string_properties:
                properties = ", ".join("%s='%s'" % item for item in sorted(properties.items()))
            return 0, json.dumps({"name": args[2], "properties": properties}), ""
        if args[:2] == ["flavor", "create"]:
            self.flavors[args[-1]] = {}
            return 0, "", ""
        if args[:2] == ["flavor", "set"]:
            assert args[2:-1:2] == ["--property"] * (len(args[2:-1]) // 2)
            self.flavors[args[-1]].update(item.split("=", 1) for item in args[3:-1:2])
            return 0, "", ""
        raise AssertionError("unexpected command %r" % args)

    def writes(self):
        return [c for c in self.calls if not any(c[:len(r)] == r for r in self.READS)]

    def node_lists(self):
        return self.calls.count(["baremetal", "node", "list", "--long", "-f", "json"])


class FakeModule(object):
    def __init__(self, cloud, check_mode=False):
        self.cloud, self.check_mode = cloud, check_mode

    def run_command(self, argv, environ_update=None):
        return self.cloud(argv)

    def fail_json(self, **kwargs):
        raise FakeFail(kwargs)


def fake_cli(cloud, check_mode=False):
    return Cli(FakeModule(cloud, check_mode), "openstack", None)


def run_main(monkeypatch, cloud, check_mode=False, **args):
    """main() with its real argument checks, FakeUndercloud behind run_command; ("exit"/"fail", result)."""
    kind, result, _warnings = module_harness.run_main(monkeypatch, profiles, args, check_mode, commands=cloud)
    return kind, result


# ------------------------------------------------------------ ensure_flavor

@pytest.mark.parametrize("string_properties", [False, True])
def test_a_flavor_with_the_profile_is_left_alone(string_properties):
    cloud = FakeUndercloud(flavors={"control": dict(WANTED_FLAVOR, **{"resources:CUSTOM_BAREMETAL": "1"})},
                           string_properties=string_properties)
    assert profiles.ensure_flavor(FakeModule(cloud), fake_cli(cloud), "control") is False
    assert cloud.calls == [["flavor", "show", "control", "-f", "json"]]


@pytest.mark.parametrize("string_properties", [False, True])
def test_a_flavor_without_the_profile_is_set_not_created(string_properties):
    cloud = FakeUndercloud(flavors={"control": {"capabilities:profile": "compute"}},
                           string_properties=string_properties)
    assert profiles.ensure_flavor(FakeModule(cloud), fake_cli(cloud), "control") is True
    assert cloud.writes() == [["flavor", "set", "--property", "capabilities:profile=control",
                               "--property", "capabilities:boot_option=local", "control"]]
    assert cloud.flavors["control"] == WANTED_FLAVOR


def test_a_missing_flavor_is_created_then_given_its_properties():
    cloud = FakeUndercloud()
    assert profiles.ensure_flavor(FakeModule(cloud), fake_cli(cloud), "compute") is True
    assert cloud.writes()[0] == ["flavor", "create", "--id", "auto", "--ram", "4096", "--disk", "40", "--vcpus", "1",
                                 "compute"]
    assert cloud.flavors == {"compute": {"capabilities:profile": "compute", "capabilities:boot_option": "local"}}


@pytest.mark.parametrize("flavors", [{}, {"control": {"capabilities:profile": "control"}}])
def test_check_mode_reports_a_flavor_change_without_making_it(flavors):
    cloud = FakeUndercloud(flavors=flavors)
    module = FakeModule(cloud, check_mode=True)
    assert profiles.ensure_flavor(module, Cli(module, "openstack", None), "control") is True
    assert cloud.writes() == [] and cloud.flavors == flavors


# --------------------------------------------------------------------- main

def test_nodes_with_their_profiles_are_unchanged_and_not_read_back(monkeypatch):
    # The order TripleO or introspection wrote the capabilities in does not matter.
    cloud = FakeUndercloud(nodes={"control-1": "boot_mode:bios,boot_option:local,profile:control",
                                  "compute-1": "profile:compute,boot_option:local,boot_mode:bios"})
    kind, result = run_main(monkeypatch, cloud, nodes=NODES)
    assert kind == "exit" and result["changed"] is False and result["flavors"] == []
    assert [r["changed"] for r in result["nodes"]] == [False, False]
    assert cloud.writes() == [] and cloud.node_lists() == 1


def test_a_node_gets_its_profile_keeping_what_introspection_added(monkeypatch):
    cloud = FakeUndercloud(nodes={"control-1": SET, "compute-1": "cpu_vt:true,boot_option:netboot,cpu_hugepages:true"})
    kind, result = run_main(monkeypatch, cloud, nodes=NODES)
    assert kind == "exit" and result["changed"] is True
    want = "profile:compute,boot_option:local,boot_mode:bios,cpu_hugepages:true,cpu_vt:true"
    assert cloud.writes() == [["baremetal", "node", "set", "--property", "capabilities=" + want, "compute-1"]]
    assert result["nodes"] == [
        {"name": "control-1", "profile": "control", "capabilities": SET, "changed": False},
        {"name": "compute-1", "profile": "compute", "capabilities": want, "changed": True}]
    assert cloud.node_lists() == 2, "a change is read back"


def test_a_profile_that_did_not_stick_fails_naming_the_node(monkeypatch):
    cloud = FakeUndercloud(nodes={"control-1": "", "compute-1": "profile:control"}, sticky=["compute-1"])
    kind, result = run_main(monkeypatch, cloud, nodes=NODES)
    assert kind == "fail" and result["msg"] == "profile not set on: compute-1"
    assert [r["changed"] for r in result["nodes"]] == [True, True]
    assert parse_capabilities(cloud.nodes["control-1"])["profile"] == "control"


def test_nodes_missing_from_ironic_fail_before_anything_is_set(monkeypatch):
    cloud = FakeUndercloud(nodes={"control-1": ""})
    nodes = NODES + [{"name": "compute-2", "profile": "compute"}]
    kind, result = run_main(monkeypatch, cloud, nodes=nodes, flavors=True)
    assert kind == "fail"
    assert result["msg"] == ("not registered in Ironic: compute-1, compute-2. "
                             "Run the register phase first (--tags register).")
    assert cloud.writes() == [] and not any(c[0] == "flavor" for c in cloud.calls)


def test_check_mode_predicts_missing_nodes_and_changes_without_making_them(monkeypatch):
    cloud = FakeUndercloud(nodes={"control-1": "boot_option:local"})
    kind, result = run_main(monkeypatch, cloud, check_mode=True, nodes=NODES, flavors=True)
    assert kind == "exit" and result["changed"] is True
    assert result["nodes"] == [
        {"name": "control-1", "profile": "control", "capabilities": SET, "changed": True},
        {"name": "compute-1", "profile": "compute", "registered": False,
         "capabilities": "profile:compute,boot_option:local,boot_mode:bios", "changed": False}]
    assert result["flavors"] == ["compute", "control"]
    assert cloud.writes() == [] and cloud.node_lists() == 1


def test_each_profile_gets_one_flavor_and_only_changed_ones_are_reported(monkeypatch):
    cloud = FakeUndercloud(nodes={"control-1": SET, "control-2": SET.replace("control", "compute"),
                                  "compute-1": SET.replace("control", "compute")},
                           flavors={"control": WANTED_FLAVOR})
    nodes = [{"name": "control-1", "profile": "control"}, {"name": "compute-1", "profile": "compute"},
             {"name": "control-2", "profile": "control"}]
    kind, result = run_main(monkeypatch, cloud, nodes=nodes, flavors=True)
    assert kind == "exit" and result["changed"] is True
    assert [r["name"] for r in result["nodes"] if r["changed"]] == ["control-2"]
    assert [c[2] for c in cloud.calls if c[:2] == ["flavor", "show"]] == ["compute", "control"]
    assert result["flavors"] == ["compute"]
    assert sorted(cloud.flavors) == ["compute", "control"]


def test_flavors_alone_make_a_change_and_are_left_alone_without_the_option(monkeypatch):
    nodes = {"control-1": SET, "compute-1": SET.replace("control", "compute")}
    cloud = FakeUndercloud(nodes=nodes, flavors={"control": WANTED_FLAVOR})
    kind, result = run_main(monkeypatch, cloud, nodes=NODES, flavors=True)
    assert kind == "exit" and result["changed"] is True and result["flavors"] == ["compute"]
    cloud = FakeUndercloud(nodes=nodes)
    kind, result = run_main(monkeypatch, cloud, nodes=NODES)
    assert kind == "exit" and result["changed"] is False
    assert not any(c[0] == "flavor" for c in cloud.calls)


@pytest.mark.parametrize("args, message", [
    ({}, "missing required arguments: nodes"),
    ({"nodes": NODES, "flavors": "sometimes"}, "argument 'flavors' is of type str and we were unable to convert "
                                               "to bool"),
    ({"nodes": NODES, "profile": "control"}, "Unsupported parameters for "),
])
def test_invalid_arguments_are_refused_before_openstack_runs(monkeypatch, args, message):
    cloud = FakeUndercloud()
    kind, result = run_main(monkeypatch, cloud, **args)
    assert kind == "fail" and result["msg"].startswith(message)
    assert cloud.calls == []
