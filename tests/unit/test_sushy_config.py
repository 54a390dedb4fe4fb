"""The Redfish emulator's files: configuration and mark, the domains it serves, htpasswd, unit,
started stamp, its directory, and what keeps it running."""
import ast
import os

import bcrypt
import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import libvirt_conn, ownership, service, sushy_config

from test_libvirt_conn import FakeConnection, FakeLibvirt, domain, vm
from test_service import RecordingModule

PARAMS = {"lab": "lab1", "address": "127.0.0.1", "port": 8000, "libvirt_uri": "qemu:///system",
          "command": "/opt/labkit/sushy/bin/sushy-emulator"}


def config_values(text):
    """The settings of a config file as Flask's from_pyfile would see them (literals only)."""
    values = {}
    for node in ast.parse(text).body:
        assert isinstance(node, ast.Assign), "the config must hold plain assignments only"
        values[node.targets[0].id] = ast.literal_eval(node.value)
    return values


def test_config_serves_only_the_given_instances():
    text = sushy_config.render_config(PARAMS, "/etc/labkit/lab1/redfish/htpasswd", {"node-b", "uuid-1", "node-a"})
    assert text.startswith(sushy_config.HEADER % "lab1")
    values = config_values(text)
    assert values["SUSHY_EMULATOR_ALLOWED_INSTANCES"] == ["node-a", "node-b", "uuid-1"]
    assert values["SUSHY_EMULATOR_LISTEN_IP"] == "127.0.0.1" and values["SUSHY_EMULATOR_LISTEN_PORT"] == 8000
    assert values["SUSHY_EMULATOR_AUTH_FILE"] == "/etc/labkit/lab1/redfish/htpasswd"


def test_config_is_stable_so_a_second_run_changes_nothing():
    first = sushy_config.render_config(PARAMS, "/x", {"b", "a"})
    assert sushy_config.render_config(PARAMS, "/x", {"a", "b"}) == first


def test_a_quote_in_a_value_cannot_escape_the_config():
    text = sushy_config.render_config(dict(PARAMS, libvirt_uri="qemu:///system'\nimport os"), "/x", set())
    assert config_values(text)["SUSHY_EMULATOR_LIBVIRT_URI"] == "qemu:///system'\nimport os"


@pytest.mark.parametrize("instance, mark", [("i-1", ("lab1", "i-1")), ("", ("lab1", None)), (None, ("lab1", None))])
def test_the_config_mark_holds_lab_and_instance(instance, mark):
    text = sushy_config.render_config(dict(PARAMS, instance=instance), "/x", set())
    assert sushy_config.config_mark(text) == mark
    config_values(text)  # still plain Python


@pytest.mark.parametrize("text", [None, "", "# somebody's own emulator\nPORT = 1\n",
                                  "PORT = 1\n# Managed by labkit.tripleo for lab lab1; rewritten on every run.\n"])
def test_a_config_labkit_did_not_write_has_no_mark(text):
    assert sushy_config.config_mark(text) == (None, None)


def test_matching_password_keeps_its_hash():
    line = sushy_config.password_line(None, "admin", "s3cret")
    user, digest = line.strip().split(":", 1)
    assert user == "admin" and bcrypt.checkpw(b"s3cret", digest.encode())
    assert sushy_config.password_line("other:$2b$xx\n" + line, "admin", "s3cret") == line


def test_changed_password_or_user_gets_a_new_hash():
    line = sushy_config.password_line(None, "admin", "s3cret")
    changed = sushy_config.password_line(line, "admin", "n3w")
    assert changed != line and bcrypt.checkpw(b"n3w", changed.strip().split(":", 1)[1].encode())
    assert sushy_config.password_line(line, "root", "s3cret").startswith("root:$2")


def test_a_garbled_hash_is_replaced_not_trusted():
    assert sushy_config.password_line("admin:$2b$08$garbage\n", "admin", "s3cret").startswith("admin:$2b$08$")


def test_a_hash_of_another_cost_is_replaced_by_the_cheap_one():
    costly = "admin:%s\n" % bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=12)).decode()
    line = sushy_config.password_line(costly, "admin", "s3cret")
    assert line != costly and line.startswith("admin:$2b$08$")


@pytest.mark.parametrize("cmdline, ours", [
    ("/opt/labkit/sushy/bin/python3\0/opt/labkit/sushy/bin/sushy-emulator\0--config\0/etc/labkit/lab1/redfish/emulator.conf\0", True),
    ("/opt/labkit/sushy/bin/sushy-emulator\0--config\0/etc/labkit/lab2/redfish/emulator.conf\0", False),
    ("/usr/bin/sleep\0/etc/labkit/lab1/redfish/emulator.conf\0", False),
    ("", False),
])
def test_a_pid_is_ours_only_while_it_runs_our_config(cmdline, ours):
    assert sushy_config.runs_config(cmdline, "/etc/labkit/lab1/redfish/emulator.conf") is ours


def test_the_unit_runs_the_emulator_with_the_labs_config():
    unit = sushy_config.render_unit(PARAMS, "/etc/labkit/lab1/redfish/emulator.conf")
    assert "ExecStart=/opt/labkit/sushy/bin/sushy-emulator --config /etc/labkit/lab1/redfish/emulator.conf" in unit
    assert "After=network-online.target libvirtd.service" in unit and "lab lab1" in unit
    assert sushy_config.unit_name("lab1") == "labkit-redfish-lab1.service"


def test_the_started_stamp_changes_with_any_file_and_only_then():
    files = {"/etc/labkit/l/redfish/emulator.conf": "PORT = 1\n", "/etc/labkit/l/redfish/htpasswd": "u:h\n"}
    stamp = sushy_config.started_digest(files)
    assert sushy_config.started_digest(dict(files)) == stamp
    assert sushy_config.started_digest(dict(files, **{"/etc/labkit/l/redfish/htpasswd": "u:g\n"})) != stamp
    # Text moved between files is another start configuration.
    assert sushy_config.started_digest({"/a": "xy", "/b": ""}) != sushy_config.started_digest({"/a": "x", "/b": "y"})


# ------------------------------------------------------------ the lab's directory

def test_the_labs_files_live_in_a_private_directory_removed_with_empty_parents(tmp_path):
    directory, config_path, auth_path = sushy_config.paths(str(tmp_path / "etc"), "lab1")
    assert directory == str(tmp_path / "etc" / "lab1" / "redfish")
    assert (config_path, auth_path) == (os.path.join(directory, "emulator.conf"), os.path.join(directory, "htpasswd"))
    sushy_config.make_private_dir(directory)
    os.chmod(directory, 0o755)
    sushy_config.make_private_dir(directory)
    assert [os.stat(p).st_mode & 0o777 for p in (os.path.dirname(directory), directory)] == [0o700, 0o700]
    (tmp_path / "etc" / "lab2").mkdir()
    (tmp_path / "run").mkdir()
    service.write_private(config_path, "x")
    sushy_config.remove_dir(directory, (str(tmp_path / "etc"), str(tmp_path / "run"), str(tmp_path / "log")))
    # The lab's directories and the empty run directory go; the one another lab uses stays.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["etc"] and os.listdir(str(tmp_path / "etc")) == ["lab2"]


# ------------------------------------------------------------ what it serves, and its files

def test_allowed_instances_are_the_domains_names_and_uuids(monkeypatch):
    monkeypatch.setattr(libvirt_conn, "libvirt", FakeLibvirt(FakeConnection(domain(vm("node-a")))))
    allowed, missing = sushy_config.allowed_instances(RecordingModule(), dict(PARAMS, systems=["node-a", "node-b"]))
    assert allowed == {"node-a", "uuid-node-a"} and missing == ["node-b"]


def test_the_wanted_files_keep_a_matching_password_hash(tmp_path):
    params = dict(PARAMS, username="admin", password="pw")
    auth = str(tmp_path / "htpasswd")
    first = sushy_config.wanted_files(params, str(tmp_path / "emulator.conf"), auth, {"n"})
    assert sorted(first) == [str(tmp_path / "emulator.conf"), auth]
    assert config_values(first[str(tmp_path / "emulator.conf")])["SUSHY_EMULATOR_AUTH_FILE"] == auth
    service.write_private(auth, first[auth])
    assert sushy_config.wanted_files(params, str(tmp_path / "emulator.conf"), auth, {"n"}) == first


@pytest.mark.parametrize("instance, found, refused", [
    ("i-1", None, False), ("i-1", "i-1", False), ("i-1", "", False), ("i-1", "i-2", True), ("", "i-2", False),
])
def test_a_config_is_refused_unless_it_is_absent_or_the_labs(instance, found, refused):
    params = dict(PARAMS, instance=instance, adopt=False)
    text = None if found is None else sushy_config.render_config(dict(PARAMS, instance=found), "/x", set())
    if not refused:
        assert sushy_config.check_config_owner(RecordingModule(), params, "/c", text, {}, "left alone") is None
        return
    with pytest.raises(AssertionError) as failure:
        sushy_config.check_config_owner(RecordingModule(), params, "/c", text, {"url": "u"}, "left alone")
    assert failure.value.args[0]["msg"] == ("/c was not written by labkit.tripleo for lab lab1 (owner: lab lab1, "
                                            "instance i-2); left alone; " + ownership.FOREIGN_HINT)
    assert failure.value.args[0]["url"] == "u"


def test_a_foreign_config_without_the_labs_name_is_refused_without_a_hint():
    with pytest.raises(AssertionError) as failure:
        sushy_config.check_config_owner(RecordingModule(), dict(PARAMS, instance="", adopt=False), "/c",
                                        "# somebody's\n", {}, "nothing was changed")
    assert failure.value.args[0]["msg"] == ("/c was not written by labkit.tripleo for lab lab1 (owner: none); "
                                            "nothing was changed")


# ------------------------------------------------------------ keeping it running

@pytest.mark.parametrize("running, changed, same_stamp, action", [
    (True, False, True, "unchanged"), (True, True, True, "restarted"), (True, False, False, "restarted"),
    (False, False, True, "started"), (False, True, False, "started"),
])
def test_the_start_action(running, changed, same_stamp, action):
    asked = []
    assert sushy_config.start_action(running, changed, lambda: asked.append(1) or same_stamp) == action
    # The stamp is read only when it decides.
    assert len(asked) == (1 if running and not changed else 0)


def test_the_keeper_is_a_unit_or_a_detached_process(tmp_path):
    params = dict(PARAMS, supervisor="systemd", run_dir=str(tmp_path / "run"), log_dir=str(tmp_path / "log"))
    unit = sushy_config.keeper(RecordingModule(), params, "/etc/labkit/lab1/redfish/emulator.conf")
    assert unit.name == "systemd" and unit.unit == "labkit-redfish-lab1.service"
    assert unit.unit_text == sushy_config.render_unit(params, "/etc/labkit/lab1/redfish/emulator.conf")
    process = sushy_config.keeper(RecordingModule(), params, "/etc/labkit/lab1/redfish/emulator.conf", "process")
    config = "/etc/labkit/lab1/redfish/emulator.conf"
    assert process.name == "process" and process.argv == [PARAMS["command"], "--config", config]
    assert process.pid_file == str(tmp_path / "run" / "redfish-lab1.pid")
    assert process.log_file == str(tmp_path / "log" / "redfish-lab1.log")
    assert process.is_ours("sushy-emulator\0--config\0/etc/labkit/lab1/redfish/emulator.conf\0")


@pytest.mark.parametrize("systemd, supervisor, names", [
    (False, "process", ["process"]), (False, "auto", ["process"]), (False, "systemd", ["process", "systemd"]),
    (True, "process", ["process", "systemd"]),
])
def test_former_keepers_are_every_keeper_that_may_have_run_it(monkeypatch, systemd, supervisor, names):
    monkeypatch.setattr(service, "systemd_is_init", lambda: systemd)
    params = dict(PARAMS, supervisor=supervisor, run_dir="/run/labkit", log_dir="/var/log/labkit")
    assert [k.name for k in sushy_config.former_keepers(RecordingModule(), params, "/c")] == names


def test_a_restart_drops_the_stamp_first(tmp_path):
    stamp = tmp_path / "started-with"
    stamp.write_text("digest")
    calls = []

    class Keeper(object):
        def stop(self):
            calls.append(("stop", stamp.exists()))

        def start(self):
            calls.append("start")
            return "proc"

    assert sushy_config.restart(Keeper(), str(stamp)) == "proc"
    assert calls == [("stop", False), "start"]
    assert sushy_config.restart(Keeper(), str(stamp)) == "proc"
