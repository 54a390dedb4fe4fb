# -*- coding: utf-8 -*-
"""vbmc (module_utils): the client, settings drift, endpoint clashes, planning, marks and permissions of
the lab's BMCs; vbmc (module): what it does with them, against a fake client."""
import json
import os

import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import vbmc
from ansible_collections.labkit.tripleo.plugins.modules import vbmc as vbmc_module


SECRET = "Sup3rS3cret-pw"
WANTED = {"address": "127.0.0.1", "port": "7001", "username": "admin", "password": SECRET,
          "libvirt_uri": "qemu:///system"}


def test_drifted_nothing_when_equal():
    assert vbmc.drifted(dict(WANTED, domain_name="control-1", active="True"), WANTED) == []


def test_drifted_returns_names_only():
    config = dict(WANTED, password="old-password", port="7002", address="::")
    changes = vbmc.drifted(config, WANTED)
    assert changes == ["address", "password", "port"]
    text = repr(changes)
    for value in (SECRET, "old-password", "7002", "7001", "::", "127.0.0.1"):
        assert value not in text


def test_drifted_missing_config_is_everything():
    assert vbmc.drifted({}, WANTED) == ["address", "libvirt_uri", "password", "port", "username"]


def test_wanted_settings_matches_vbmc_config_file(tmp_path):
    """A config file as vbmc writes it is not drift for the same settings."""
    (tmp_path / "control-1").mkdir()
    (tmp_path / "control-1" / "config").write_text(
        "[VirtualBMC]\nusername = admin\npassword = %s\naddress = 127.0.0.1\nport = 7001\n"
        "domain_name = control-1\nlibvirt_uri = qemu:///system\nactive = True\n" % SECRET)
    params = {"address": "127.0.0.1", "username": "admin", "password": SECRET, "libvirt_uri": "qemu:///system"}
    config = vbmc.read_config(str(tmp_path), "control-1")
    assert vbmc.drifted(config, vbmc.wanted_settings(params, {"name": "control-1", "port": 7001})) == []
    assert vbmc.drifted(config, vbmc.wanted_settings(params, {"name": "control-1", "port": 7002})) == ["port"]
    assert vbmc.read_config(str(tmp_path), "missing") == {}


# ------------------------------------------------------------ vbmc planning

def _vbmc_params(**over):
    params = {"bmcs": [{"name": "a", "port": 7001}, {"name": "b", "port": 7002}], "address": "127.0.0.1",
              "username": "admin", "password": "s3cret", "libvirt_uri": "qemu:///system"}
    params.update(over)
    return params


def _row(address, port, status="running"):
    return {"Address": address, "Port": port, "Status": status}


def test_vbmc_endpoint_clash_with_a_foreign_bmc_on_the_same_port():
    clashes = vbmc.endpoint_clashes({"other": _row("127.0.0.1", 7002)}, _vbmc_params()["bmcs"], "127.0.0.1")
    assert len(clashes) == 1 and "wanted by b" in clashes[0] and "BMC other" in clashes[0]


def test_vbmc_endpoint_clash_with_a_wildcard_bound_bmc():
    assert vbmc.endpoint_clashes({"other": _row("::", 7001)}, _vbmc_params()["bmcs"], "127.0.0.1")


def test_vbmc_no_clash_on_other_ports_or_with_its_own_bmcs():
    current = {"a": _row("127.0.0.1", 7002), "other": _row("127.0.0.1", 7009)}
    assert vbmc.endpoint_clashes(current, _vbmc_params()["bmcs"], "127.0.0.1") == []


def _config(params, bmc):
    return dict(vbmc.wanted_settings(params, bmc))


def test_vbmc_plan_unchanged_started_added_replaced():
    params = _vbmc_params(bmcs=[{"name": n, "port": p} for n, p in
                                (("same", 7001), ("down", 7002), ("new", 7003), ("moved", 7004))])
    configs = {"same": _config(params, {"port": 7001}), "down": _config(params, {"port": 7002}),
               "moved": _config(params, {"port": 7999})}
    current = {"same": _row("127.0.0.1", 7001), "down": _row("127.0.0.1", 7002, "down"),
               "moved": _row("127.0.0.1", 7999)}
    actions = {r["name"]: r["action"] for r in vbmc.plan(current, configs.get, params)}
    assert actions == {"same": "unchanged", "down": "started", "new": "added", "moved": "replaced"}


def test_vbmc_plan_a_changed_password_replaces_without_revealing_it():
    params = _vbmc_params()
    old = dict(_config(params, {"port": 7001}), password="old-secret")
    current = {"a": _row("127.0.0.1", 7001), "b": _row("127.0.0.1", 7002)}
    results = vbmc.plan(current, {"a": old, "b": _config(params, {"port": 7002})}.get, params)
    assert results[0]["action"] == "replaced" and results[0]["changed_settings"] == ["password"]
    assert "old-secret" not in repr(results) and "s3cret" not in repr(results)


def test_vbmc_plan_swapped_ports_replace_both():
    params = _vbmc_params(bmcs=[{"name": "a", "port": 7002}, {"name": "b", "port": 7001}])
    configs = {"a": _config(params, {"port": 7001}), "b": _config(params, {"port": 7002})}
    current = {"a": _row("127.0.0.1", 7001), "b": _row("127.0.0.1", 7002)}
    assert vbmc.endpoint_clashes(current, params["bmcs"], "127.0.0.1") == []
    assert [r["action"] for r in vbmc.plan(current, configs.get, params)] == ["replaced", "replaced"]


def test_vbmc_classify_ours_to_mark_foreign_and_unwanted():
    names = ["mine", "old", "legacy", "unstamped", "twin", "stranger", "gone"]
    current = dict((n, _row("127.0.0.1", 7000 + i)) for i, n in enumerate(names))
    marks = {"mine": ("lab", "i-1"), "old": ("lab", "i-1"), "legacy": (None, None), "unstamped": ("lab", None),
             "twin": ("lab", "i-2"), "stranger": ("other", "i-1"), "gone": (None, None)}
    params = {"lab": "lab", "instance": "i-1", "adopt": False}
    ours, to_mark, foreign, unwanted = vbmc.classify(
        current, {"mine", "legacy", "unstamped", "twin", "stranger"}, marks, params, {"legacy"})
    assert ours == {"mine", "old"}
    # Unmarked but driving the lab's domain (0.1), or the lab's name without an instance: the lab's.
    assert to_mark == {"legacy", "unstamped"}
    # The same lab name with another instance is another lab.
    assert foreign == ["stranger (owner: lab other, instance i-1)", "twin (owner: lab lab, instance i-2)"]
    # 'gone' has no mark and drives no domain of the lab: someone else's, never deleted.
    assert unwanted == ["old"]


def test_vbmc_classify_adopt_takes_over_another_instance():
    marks = {"twin": ("lab", "i-2"), "stranger": ("other", "i-2")}
    current = {"twin": _row("127.0.0.1", 7001), "stranger": _row("127.0.0.1", 7002)}
    _ours, to_mark, foreign, _unwanted = vbmc.classify(
        current, {"twin", "stranger"}, marks, {"lab": "lab", "instance": "i-1", "adopt": True}, set())
    assert to_mark == {"twin"} and foreign == ["stranger (owner: lab other, instance i-2)"]


def test_vbmc_a_foreign_unmarked_bmc_named_like_a_node_is_refused():
    _ours, _to_mark, foreign, _unwanted = vbmc.classify(
        {"node": _row("127.0.0.1", 7001)}, {"node"}, {"node": (None, None)},
        {"lab": "lab", "instance": "i-1", "adopt": False}, set())
    assert foreign == ["node (owner: none; its domain is not this lab's)"]


def test_vbmc_mark_and_permissions(tmp_path):
    (tmp_path / "n1").mkdir(mode=0o755)
    (tmp_path / "n1" / "config").write_text("[VirtualBMC]\n")
    os.chmod(str(tmp_path / "n1" / "config"), 0o644)
    assert vbmc.owner_of_bmc(str(tmp_path), "n1") is None
    vbmc.mark_bmc(str(tmp_path), "n1", "mylab")
    assert vbmc.mark_of_bmc(str(tmp_path), "n1") == ("mylab", None)
    vbmc.mark_bmc(str(tmp_path), "n1", "mylab", "i-1")
    assert vbmc.mark_of_bmc(str(tmp_path), "n1") == ("mylab", "i-1")
    assert vbmc.owner_of_bmc(str(tmp_path), "n1") == "mylab"
    assert vbmc.make_private(str(tmp_path), "n1") is True
    assert os.stat(str(tmp_path / "n1" / "config")).st_mode & 0o777 == 0o600
    assert os.stat(str(tmp_path / "n1")).st_mode & 0o777 == 0o700
    assert vbmc.make_private(str(tmp_path), "n1") is False


# ------------------------------------------------------------ the client

class Failed(Exception):
    pass


class CliModule(object):
    """Stands in for AnsibleModule: answers each vbmc command line from ``answers`` ({verb: (rc, out, err)})."""

    def __init__(self, answers=None, check_mode=False):
        self.params = {"vbmc_command": "/opt/vbmc/bin/vbmc"}
        self.answers = answers or {}
        self.check_mode = check_mode
        self.calls = []

    def run_command(self, argv, data=None):
        self.calls.append(argv)
        self.data = data
        return self.answers.get(argv[1], (0, "", ""))

    def fail_json(self, **kwargs):
        raise Failed(kwargs)


def test_the_client_lists_bmcs_by_domain_name():
    rows = [{"Domain name": "a", "Status": "running", "Address": "127.0.0.1", "Port": 7001}]
    module = CliModule({"list": (0, json.dumps(rows), "")})
    assert vbmc.Vbmc(module).list() == {"a": rows[0]}
    assert module.calls == [["/opt/vbmc/bin/vbmc", "list", "-f", "json"]]
    assert vbmc.Vbmc(CliModule({"list": (0, "", "")})).list() == {}


def test_the_client_says_how_to_start_a_silent_vbmcd():
    with pytest.raises(Failed) as failed:
        vbmc.Vbmc(CliModule({"list": (1, "", "Failed to connect to the vbmcd server\n")})).list()
    assert failed.value.args[0]["msg"] == ("cannot talk to vbmcd (Failed to connect to the vbmcd server). Start it: "
                                           "the vbmcd service on systemd hosts, scripts/start-daemons elsewhere.")


def test_the_client_runs_a_command_and_fails_naming_it():
    module = CliModule({"start": (0, "ok\n", ""), "delete": (1, "Domain a not found\n", "")})
    client = vbmc.Vbmc(module)
    client.run("start", "a", "b")
    with pytest.raises(Failed) as failed:
        client.run("delete", "a")
    assert failed.value.args[0] == {"msg": "vbmc delete failed: Domain a not found", "rc": 1}
    assert module.calls == [["/opt/vbmc/bin/vbmc", "start", "a", "b"], ["/opt/vbmc/bin/vbmc", "delete", "a"]]


REQUESTS = [vbmc.add_request(name, "127.0.0.1", port, "admin", "s3cret-pw", "qemu:///system")
            for name, port in (("a", 7001), ("b", 7002))]

# A FAKE of VirtualBMC's venv interpreter running SESSION_HELPER: it checks that it was given the
# helper, records each request line, and answers from REPLIES (one JSON reply per request, in
# order); past the last it exits as a helper that lost vbmcd would, with a reason on stderr.
FAKE_SESSION_PYTHON = """#!%(python)s
import json, sys
assert sys.argv[1] == "-c" and "zmq.REQ" in sys.argv[2], sys.argv
replies = json.load(open(%(replies)r))
for line in sys.stdin:
    with open(%(log)r, "a") as log:
        log.write(line)
    if not replies:
        sys.stderr.write("zmq.error.ZMQError: Connection refused\\n")
        sys.exit(1)
    sys.stdout.write(json.dumps(replies.pop(0)) + "\\n")
    sys.stdout.flush()
"""


@pytest.fixture
def session_venv(tmp_path):
    """A venv directory holding vbmc and the fake interpreter; returns (module, replies setter, requests)."""
    import sys
    venv = tmp_path / "venv"
    venv.mkdir()
    (venv / "vbmc").write_text("")
    log, replies_file = tmp_path / "requests.log", tmp_path / "replies.json"
    python = venv / "python3"
    python.write_text(FAKE_SESSION_PYTHON % {"python": sys.executable, "replies": str(replies_file), "log": str(log)})
    python.chmod(0o755)
    module = CliModule()
    module.params["vbmc_command"] = str(venv / "vbmc")

    def answer(*replies):
        replies_file.write_text(json.dumps(list(replies)))

    def requests():
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    answer()
    return module, answer, requests


def test_every_request_of_a_run_goes_to_vbmcd_through_one_process_with_the_password_on_stdin(session_venv):
    module, answer, requests = session_venv
    rows = [["a", "running", "127.0.0.1", 7001]]
    answer({"rc": 0, "header": ["Domain name", "Status", "Address", "Port"], "rows": rows},
           {"rc": 0, "msg": []}, {"rc": 0, "msg": []}, {"rc": 0, "msg": []})
    client = vbmc.Vbmc(module)
    assert client.list() == {"a": {"Domain name": "a", "Status": "running", "Address": "127.0.0.1", "Port": 7001}}
    session = client.session
    assert client.add_all(REQUESTS) == (["a", "b"], None)
    client.run("start", "a", "b")
    assert client.session is session and module.calls == []
    assert client.close() == "" and client.session is None and session.returncode == 0
    # What the vbmc client sends vbmcd (virtualbmc.cmd.vbmc: its parsed arguments and the command).
    assert requests() == [{"command": "list"}] + REQUESTS + [{"command": "start", "domain_names": ["a", "b"]}]
    assert requests()[2] == {
        "command": "add", "domain_name": "b", "address": "127.0.0.1", "port": 7002, "username": "admin",
        "password": "s3cret-pw", "libvirt_uri": "qemu:///system", "libvirt_sasl_username": None,
        "libvirt_sasl_password": None}
    assert "s3cret-pw" not in repr(session.args)


def test_a_refused_add_stops_the_rest_and_names_itself(session_venv):
    module, answer, requests = session_venv
    answer({"rc": 1, "msg": ["port 7001 in use"]})
    client = vbmc.Vbmc(module)
    assert client.add_all(REQUESTS) == ([], "vbmc add a failed: port 7001 in use")
    assert [r["domain_name"] for r in requests()] == ["a"]
    assert client.add_all([]) == ([], None)
    client.close()


def test_a_refused_start_or_a_lost_vbmcd_fails_the_module_naming_why(session_venv):
    module, answer, _requests = session_venv
    answer({"rc": 1, "msg": ["Domain b not found"]})
    client = vbmc.Vbmc(module)
    with pytest.raises(Failed) as failed:
        client.run("start", "b")
    assert failed.value.args[0] == {"msg": "vbmc start failed: Domain b not found"}
    # The fake has no reply left: the session process ends, and its reason is the message.
    with pytest.raises(Failed) as failed:
        client.list()
    assert failed.value.args[0]["msg"] == ("cannot talk to vbmcd (zmq.error.ZMQError: Connection refused). Start it: "
                                           "the vbmcd service on systemd hosts, scripts/start-daemons elsewhere.")
    assert client.session is None


def test_without_a_venv_interpreter_each_step_is_a_client_call():
    module = CliModule()
    module.params["vbmc_command"] = "vbmc"
    assert vbmc.Vbmc(module).add_all(REQUESTS) == (["a", "b"], None)
    assert [argv[:3] for argv in module.calls] == [["vbmc", "add", "a"], ["vbmc", "add", "b"]]
    # A refused add stops the rest there, as through the session, with what was added said.
    module = CliModule({"add": (1, "", "Domain a already exists\n")})
    module.params["vbmc_command"] = "vbmc"
    assert vbmc.Vbmc(module).add_all(REQUESTS) == ([], "vbmc add a failed: Domain a already exists")


# ------------------------------------------------------------ the module

class FakeVbmc(object):
    """What the module asks of the client: the BMCs vbmcd knows, and the commands run."""

    def __init__(self, current):
        self.current = current
        self.commands = []

    def list(self):
        return self.current

    def run(self, *args):
        self.commands.append(args)
        return ""

    def add_all(self, requests):
        self.commands.extend(("add", request["domain_name"]) for request in requests)
        return [request["domain_name"] for request in requests], None


def _module_params(config_dir, **over):
    params = dict(_vbmc_params(), lab="lab", instance="i-1", adopt=False, config_dir=str(config_dir))
    params.update(over)
    return params


@pytest.fixture
def no_lab_domains(monkeypatch):
    monkeypatch.setattr(vbmc_module, "lab_domains", lambda module, params: set())


def test_present_adds_marks_and_starts_new_bmcs(tmp_path, no_lab_domains):
    client = FakeVbmc({})
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    results = vbmc_module.ensure_present(CliModule(), client, _module_params(tmp_path))
    assert [(r["name"], r["action"]) for r in results] == [("a", "added"), ("b", "added")]
    # One client call starts every new BMC.
    assert [c[:2] for c in client.commands[:2]] == [("add", "a"), ("add", "b")]
    assert client.commands[2:] == [("start", "a", "b")]
    assert vbmc.mark_of_bmc(str(tmp_path), "a") == ("lab", "i-1")


def test_present_in_check_mode_only_plans(tmp_path, no_lab_domains):
    client = FakeVbmc({"old": _row("127.0.0.1", 7009)})
    (tmp_path / "old").mkdir()
    vbmc.mark_bmc(str(tmp_path), "old", "lab", "i-1")
    results = vbmc_module.ensure_present(CliModule(check_mode=True), client, _module_params(tmp_path))
    assert [(r["name"], r["action"]) for r in results] == [("old", "deleted"), ("a", "added"), ("b", "added")]
    assert client.commands == []


def test_present_refuses_a_foreign_bmc_named_like_a_node_before_any_change(tmp_path, no_lab_domains):
    (tmp_path / "a").mkdir()
    vbmc.mark_bmc(str(tmp_path), "a", "lab", "i-2")
    client = FakeVbmc({"a": _row("127.0.0.1", 7001)})
    with pytest.raises(Failed) as failed:
        vbmc_module.ensure_present(CliModule(), client, _module_params(tmp_path))
    assert "a (owner: lab lab, instance i-2)" in failed.value.args[0]["msg"]
    assert "lab_adopt=true" in failed.value.args[0]["msg"] and client.commands == []


def test_absent_deletes_only_the_labs_bmcs(tmp_path, no_lab_domains):
    for name, lab in (("a", "lab"), ("x", "other")):
        (tmp_path / name).mkdir()
        vbmc.mark_bmc(str(tmp_path), name, lab, "i-1")
    client = FakeVbmc({"a": _row("127.0.0.1", 7001), "x": _row("127.0.0.1", 7002)})
    results = vbmc_module.ensure_absent(CliModule(), client, _module_params(tmp_path))
    assert results == [{"name": "a", "address": "127.0.0.1", "port": 7001, "action": "deleted", "status": "absent"}]
    assert client.commands == [("delete", "a")]
