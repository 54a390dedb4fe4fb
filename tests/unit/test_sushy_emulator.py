"""The sushy_emulator module's orchestration. Its files are tested in test_sushy_config.py, its
daemon keeping in test_service.py; its process, Redfish and Ironic side run for real in
tests/integration/test_tripleo_phases.py, test_redfish_bmc.py and tests/fault."""
import os

import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import libvirt_conn, redfish, service, sushy_config
from ansible_collections.labkit.tripleo.plugins.modules import sushy_emulator

from test_libvirt_conn import FakeConnection, FakeLibvirt, domain, vm
from test_service import RecordingModule

PARAMS = {"lab": "lab1", "address": "127.0.0.1", "port": 8000, "libvirt_uri": "qemu:///system",
          "command": "/opt/labkit/sushy/bin/sushy-emulator"}


def test_a_config_not_written_for_this_lab_is_never_overwritten(tmp_path):
    directory = tmp_path / "lab1" / "redfish"
    directory.mkdir(parents=True)
    (directory / "emulator.conf").write_text("# somebody's own emulator\nSUSHY_EMULATOR_LISTEN_PORT = 8000\n")
    params = dict(PARAMS, config_dir=str(tmp_path), run_dir=str(tmp_path / "run"), log_dir=str(tmp_path / "log"),
                  supervisor="process", systems=["node-a"], username="admin", password="pw", timeout=1,
                  instance="", adopt=False)
    with pytest.raises(AssertionError) as failure:
        sushy_emulator.ensure_present(RecordingModule(), params)
    assert "was not written by labkit.tripleo for lab lab1" in str(failure.value)
    assert (directory / "emulator.conf").read_text().startswith("# somebody's own emulator")
    with pytest.raises(AssertionError):
        sushy_emulator.ensure_absent(RecordingModule(), params)
    assert (directory / "emulator.conf").exists()


def test_a_config_of_another_instance_of_the_lab_is_refused(tmp_path):
    directory = tmp_path / "lab1" / "redfish"
    directory.mkdir(parents=True)
    (directory / "emulator.conf").write_text(sushy_emulator.sushy_config.render_config(
        dict(PARAMS, instance="i-2"), "/x", set()))
    params = dict(PARAMS, config_dir=str(tmp_path), run_dir=str(tmp_path / "run"), log_dir=str(tmp_path / "log"),
                  supervisor="process", systems=["node-a"], username="admin", password="pw", timeout=1,
                  instance="i-1", adopt=False)
    with pytest.raises(AssertionError) as failure:
        sushy_emulator.ensure_present(RecordingModule(), params)
    assert "owner: lab lab1, instance i-2" in str(failure.value) and "lab_adopt=true" in str(failure.value)


def lab_params(tmp_path, **over):
    params = dict(PARAMS, config_dir=str(tmp_path / "etc"), run_dir=str(tmp_path / "run"),
                  log_dir=str(tmp_path / "log"),
                  supervisor="process", systems=["node-a"], username="admin", password="pw", timeout=1,
                  instance="i-1", adopt=False)
    params.update(over)
    return params


class RunModule(RecordingModule):
    check_mode = False


class CheckModule(RecordingModule):
    check_mode = True


def test_check_mode_plans_a_start_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(libvirt_conn, "libvirt", FakeLibvirt(FakeConnection(domain(vm("node-a")))))
    monkeypatch.setattr(redfish, "port_answers", lambda address, port: False)
    result = sushy_emulator.ensure_present(CheckModule(), lab_params(tmp_path))
    directory = tmp_path / "etc" / "lab1" / "redfish"
    assert result == {"supervisor": "process", "url": "http://127.0.0.1:8000", "action": "started",
                      "changed_files": [str(directory / "emulator.conf"), str(directory / "htpasswd")], "systems": []}
    assert not (tmp_path / "etc").exists()


def test_a_port_served_by_another_process_is_refused_before_any_change(tmp_path, monkeypatch):
    monkeypatch.setattr(libvirt_conn, "libvirt", FakeLibvirt(FakeConnection(domain(vm("node-a")))))
    monkeypatch.setattr(redfish, "port_answers", lambda address, port: True)
    with pytest.raises(AssertionError) as failure:
        sushy_emulator.ensure_present(RunModule(), lab_params(tmp_path))
    assert failure.value.args[0]["msg"] == ("127.0.0.1:8000 is already served by another process; nothing was "
                                            "changed. Choose another lab.bmc.port.")
    assert not (tmp_path / "etc").exists()


def test_an_emulator_that_never_answers_fails_with_its_log(tmp_path, monkeypatch):
    class Keeper(object):
        def log_tail(self):
            return "Traceback: port in use"

    monkeypatch.setattr(redfish, "wait_for_systems", lambda *args: ([], ["node-a (http://x): refused"], True))
    with pytest.raises(AssertionError) as failure:
        sushy_emulator.wait_for_systems(RecordingModule(), lab_params(tmp_path), Keeper())
    assert failure.value.args[0] == {"msg": "the Redfish emulator of lab lab1 exited; systems not answering: "
                                            "node-a (http://x): refused", "log": "Traceback: port in use"}
    monkeypatch.setattr(redfish, "wait_for_systems", lambda *args: ([], ["node-a: refused"], False))
    with pytest.raises(AssertionError) as failure:
        sushy_emulator.wait_for_systems(RecordingModule(), lab_params(tmp_path), Keeper())
    assert "did not answer in 1s" in failure.value.args[0]["msg"]
    monkeypatch.setattr(redfish, "wait_for_systems", lambda *args: ([{"name": "node-a"}], [], False))
    assert sushy_emulator.wait_for_systems(RecordingModule(), lab_params(tmp_path), Keeper()) == [{"name": "node-a"}]


def test_absent_removes_the_labs_files_and_empty_directories_only(tmp_path, monkeypatch):
    monkeypatch.setattr(service, "systemd_is_init", lambda: False)
    params = lab_params(tmp_path)
    assert sushy_emulator.ensure_absent(RecordingModule(), params) == {
        "url": "http://127.0.0.1:8000", "action": "unchanged", "supervisor": None}
    directory, config_path, _unused = sushy_config.paths(params["config_dir"], "lab1")
    sushy_config.make_private_dir(directory)
    service.write_private(config_path, sushy_config.render_config(params, "/x", set()))
    (tmp_path / "etc" / "lab2").mkdir()
    check = sushy_emulator.ensure_absent(CheckModule(), params)
    assert check["action"] == "removed" and os.path.exists(config_path)
    result = sushy_emulator.ensure_absent(RunModule(), params)
    assert result == {"url": "http://127.0.0.1:8000", "action": "removed", "supervisor": None}
    assert os.listdir(str(tmp_path / "etc")) == ["lab2"]
