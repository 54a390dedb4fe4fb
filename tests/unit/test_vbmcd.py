# -*- coding: utf-8 -*-
"""The vbmcd module: the unit it keeps, and its answer check run against a fake vbmc CLI."""
import json
import os
import stat

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.labkit.tripleo.plugins.modules import vbmcd


def fake_vbmc(venv, rc, stderr=""):
    """A stand-in for VirtualBMC's CLI: exits with ``rc``, printing ``stderr``."""
    bin_dir = venv / "bin"
    bin_dir.mkdir(parents=True)
    script = bin_dir / "vbmc"
    script.write_text("#!/bin/sh\necho '%s' >&2\nexit %d\n" % (stderr, rc))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


def run(capsys, venv, check_mode=False):
    with patch_module_args({"lab": "mylab", "host": "virthost-1", "venv": str(venv), "_ansible_check_mode": check_mode}):
        with pytest.raises(SystemExit) as exited:
            vbmcd.main()
    return exited.value.code, json.loads(capsys.readouterr().out)


@pytest.fixture(autouse=True)
def no_systemd(monkeypatch):
    monkeypatch.setattr(vbmcd.service, "systemd_is_init", lambda: False)


def test_the_unit_runs_the_venvs_vbmcd_hardened():
    lines = vbmcd.unit_text("/opt/labkit/vbmc").splitlines()
    assert "ExecStart=/opt/labkit/vbmc/bin/vbmcd --foreground" in lines
    assert "Wants=libvirtd.service" in lines and "ProtectSystem=full" in lines and "Restart=on-failure" in lines


def test_an_answering_vbmcd_is_reported_and_nothing_changes(tmp_path, capsys):
    fake_vbmc(tmp_path / "venv", 0)
    code, result = run(capsys, tmp_path / "venv")
    assert code == 0 and result["answers"] is True and result["changed"] is False and result["keeper"] == "none"


def test_a_silent_vbmcd_fails_naming_host_lab_and_how_to_start_it(tmp_path, capsys):
    fake_vbmc(tmp_path / "venv", 1, "Failed to connect to the vbmcd server on port 50891")
    code, result = run(capsys, tmp_path / "venv")
    assert code == 1 and result["failed"] is True and result["answers"] is False
    assert result["msg"].startswith("vbmcd does not answer on virthost-1 (Failed to connect to the vbmcd server")
    assert "nothing of lab mylab was changed" in result["msg"] and "scripts/start-daemons" in result["msg"]


def test_check_mode_before_virtualbmc_is_installed_asks_nothing(tmp_path, capsys):
    code, result = run(capsys, tmp_path / "not-installed", check_mode=True)
    assert code == 0 and result["answers"] is None and not os.path.exists(str(tmp_path / "not-installed"))
