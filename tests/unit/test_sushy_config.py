"""The Redfish emulator's files: configuration and mark, htpasswd, unit, started stamp."""
import ast

import bcrypt
import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import sushy_config

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
