"""The sushy_emulator module's orchestration. Its files are tested in test_sushy_config.py, its
daemon keeping in test_service.py; its process, Redfish and Ironic side run for real in
tests/integration/test_tripleo_phases.py, test_redfish_bmc.py and tests/fault."""
import pytest

from ansible_collections.labkit.tripleo.plugins.modules import sushy_emulator

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


