"""The sushy_emulator module's logic. Its process, Redfish and Ironic side run for real in
tests/integration/test_tripleo_phases.py and test_redfish_bmc.py."""
import ast
import os

import bcrypt
import pytest

from ansible_collections.labkit.tripleo.plugins.modules import sushy_emulator

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
    text = sushy_emulator.render_config(PARAMS, "/etc/labkit/lab1/redfish/htpasswd", {"node-b", "uuid-1", "node-a"})
    assert text.startswith(sushy_emulator.HEADER % "lab1")
    values = config_values(text)
    assert values["SUSHY_EMULATOR_ALLOWED_INSTANCES"] == ["node-a", "node-b", "uuid-1"]
    assert values["SUSHY_EMULATOR_LISTEN_IP"] == "127.0.0.1" and values["SUSHY_EMULATOR_LISTEN_PORT"] == 8000
    assert values["SUSHY_EMULATOR_AUTH_FILE"] == "/etc/labkit/lab1/redfish/htpasswd"


def test_config_is_stable_so_a_second_run_changes_nothing():
    first = sushy_emulator.render_config(PARAMS, "/x", {"b", "a"})
    assert sushy_emulator.render_config(PARAMS, "/x", {"a", "b"}) == first


def test_a_quote_in_a_value_cannot_escape_the_config():
    text = sushy_emulator.render_config(dict(PARAMS, libvirt_uri="qemu:///system'\nimport os"), "/x", set())
    assert config_values(text)["SUSHY_EMULATOR_LIBVIRT_URI"] == "qemu:///system'\nimport os"


def test_matching_password_keeps_its_hash():
    line = sushy_emulator.password_line(None, "admin", "s3cret")
    user, digest = line.strip().split(":", 1)
    assert user == "admin" and bcrypt.checkpw(b"s3cret", digest.encode())
    assert sushy_emulator.password_line("other:$2b$xx\n" + line, "admin", "s3cret") == line


def test_changed_password_or_user_gets_a_new_hash():
    line = sushy_emulator.password_line(None, "admin", "s3cret")
    changed = sushy_emulator.password_line(line, "admin", "n3w")
    assert changed != line and bcrypt.checkpw(b"n3w", changed.strip().split(":", 1)[1].encode())
    assert sushy_emulator.password_line(line, "root", "s3cret").startswith("root:$2")


def test_a_garbled_hash_is_replaced_not_trusted():
    assert sushy_emulator.password_line("admin:$2b$08$garbage\n", "admin", "s3cret").startswith("admin:$2b$08$")


def test_a_hash_of_another_cost_is_replaced_by_the_cheap_one():
    costly = "admin:%s\n" % bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=12)).decode()
    line = sushy_emulator.password_line(costly, "admin", "s3cret")
    assert line != costly and line.startswith("admin:$2b$08$")


@pytest.mark.parametrize("cmdline, ours", [
    ("/opt/labkit/sushy/bin/python3\0/opt/labkit/sushy/bin/sushy-emulator\0--config\0/etc/labkit/lab1/redfish/emulator.conf\0", True),
    ("/opt/labkit/sushy/bin/sushy-emulator\0--config\0/etc/labkit/lab2/redfish/emulator.conf\0", False),
    ("/usr/bin/sleep\0/etc/labkit/lab1/redfish/emulator.conf\0", False),
    ("", False),
])
def test_a_pid_is_ours_only_while_it_runs_our_config(cmdline, ours):
    assert sushy_emulator.runs_config(cmdline, "/etc/labkit/lab1/redfish/emulator.conf") is ours


def test_write_private_never_leaves_a_readable_file(tmp_path):
    path = str(tmp_path / "htpasswd")
    os.umask(0o022)
    sushy_emulator.write_private(path, "admin:hash\n")
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o600)
    assert open(path).read() == "admin:hash\n" and os.listdir(str(tmp_path)) == ["htpasswd"]


class RecordingModule(object):
    """Stands in for AnsibleModule: records the commands a supervisor runs."""

    def __init__(self, active=False):
        self.calls = []
        self.active = active

    def get_bin_path(self, name, required=False):
        return "/usr/bin/" + name

    def run_command(self, argv):
        self.calls.append(argv[1:])
        if argv[1] == "is-active":
            return (0 if self.active else 3), ("active\n" if self.active else "inactive\n"), ""
        return 0, "", ""

    def fail_json(self, **kwargs):
        raise AssertionError(kwargs)


def test_systemd_unit_written_once_then_enabled_and_restarted(tmp_path, monkeypatch):
    monkeypatch.setattr(sushy_emulator.SystemdSupervisor, "unit_dir", str(tmp_path))
    module = RecordingModule()
    supervisor = sushy_emulator.SystemdSupervisor(module, PARAMS, "/etc/labkit/lab1/redfish/emulator.conf")
    assert supervisor.unit == "labkit-redfish-lab1.service" and not supervisor.running()
    supervisor.start()
    unit = (tmp_path / "labkit-redfish-lab1.service").read_text()
    assert "ExecStart=/opt/labkit/sushy/bin/sushy-emulator --config /etc/labkit/lab1/redfish/emulator.conf" in unit
    assert module.calls[1:] == [["daemon-reload"], ["enable", supervisor.unit], ["restart", supervisor.unit]]
    module.calls = []
    supervisor.start()
    assert ["daemon-reload"] not in module.calls, "an unchanged unit needs no reload"
    supervisor.remove()
    assert ["disable", "--now", supervisor.unit] in module.calls and not os.listdir(str(tmp_path))


def test_a_config_not_written_for_this_lab_is_never_overwritten(tmp_path):
    directory = tmp_path / "lab1" / "redfish"
    directory.mkdir(parents=True)
    (directory / "emulator.conf").write_text("# somebody's own emulator\nSUSHY_EMULATOR_LISTEN_PORT = 8000\n")
    params = dict(PARAMS, config_dir=str(tmp_path), run_dir=str(tmp_path / "run"), log_dir=str(tmp_path / "log"),
                  supervisor="process", systems=["node-a"], username="admin", password="pw", timeout=1)
    with pytest.raises(AssertionError) as failure:
        sushy_emulator.ensure_present(RecordingModule(), params)
    assert "was not written by labkit.tripleo for lab lab1" in str(failure.value)
    assert (directory / "emulator.conf").read_text().startswith("# somebody's own emulator")
    with pytest.raises(AssertionError):
        sushy_emulator.ensure_absent(RecordingModule(), params)
    assert (directory / "emulator.conf").exists()


def test_the_started_stamp_changes_with_any_file_and_only_then():
    files = {"/etc/labkit/l/redfish/emulator.conf": "PORT = 1\n", "/etc/labkit/l/redfish/htpasswd": "u:h\n"}
    stamp = sushy_emulator.started_digest(files)
    assert sushy_emulator.started_digest(dict(files)) == stamp
    assert sushy_emulator.started_digest(dict(files, **{"/etc/labkit/l/redfish/htpasswd": "u:g\n"})) != stamp
    # Text moved between files is another start configuration.
    assert sushy_emulator.started_digest({"/a": "xy", "/b": ""}) != sushy_emulator.started_digest({"/a": "x", "/b": "y"})
