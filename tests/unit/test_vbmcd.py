# -*- coding: utf-8 -*-
"""The vbmcd module: the unit it keeps, and its answer check run against a fake vbmc CLI."""
import json
import os
import stat

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.labkit.tripleo.plugins.module_utils import vbmc as vbmc_utils
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
    lines = vbmc_utils.vbmcd_unit_text("/opt/labkit/vbmc").splitlines()
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


# ------------------------------------------------------------ vbmcd read from /proc (module_utils)

def fake_proc(tmp_path, port, owner_argv, listen=True):
    """A /proc with one TCP socket on ``port`` (listening or not) held by a process running ``owner_argv``."""
    proc = tmp_path / "proc"
    (proc / "net").mkdir(parents=True)
    state = "0A" if listen else "01"
    (proc / "net" / "tcp").write_text(
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 0100007F:%04X 00000000:0000 %s 00000000:00000000 00:00000000 00000000     0        0 424242 1\n"
        % (port, state))
    (proc / "4711" / "fd").mkdir(parents=True)
    (proc / "4711" / "cmdline").write_bytes(b"\0".join(a.encode() for a in owner_argv) + b"\0")
    os.symlink("socket:[424242]", str(proc / "4711" / "fd" / "3"))
    (proc / "self").mkdir()
    return str(proc)


def test_vbmcd_listens_only_when_a_vbmcd_process_holds_the_listening_socket(tmp_path):
    vbmcd_argv = ["/opt/labkit/vbmc/bin/python3", "/opt/labkit/vbmc/bin/vbmcd"]
    assert vbmc_utils.vbmcd_listening(50891, fake_proc(tmp_path / "a", 50891, vbmcd_argv))
    assert not vbmc_utils.vbmcd_listening(50892, fake_proc(tmp_path / "b", 50891, vbmcd_argv))
    assert not vbmc_utils.vbmcd_listening(50891, fake_proc(tmp_path / "c", 50891, ["/usr/bin/nc", "-l", "50891"]))
    assert not vbmc_utils.vbmcd_listening(50891, fake_proc(tmp_path / "d", 50891, vbmcd_argv, listen=False))


def test_the_server_port_is_read_where_virtualbmc_reads_it(tmp_path):
    assert vbmc_utils.vbmcd_server_port([str(tmp_path / "absent.conf")]) == 50891
    conf = tmp_path / "virtualbmc.conf"
    conf.write_text("[default]\nserver_port = 51000\n")
    assert vbmc_utils.vbmcd_server_port([str(tmp_path / "absent.conf"), str(conf)]) == 51000
    conf.write_text("[log]\nlogfile = /dev/null\n")
    assert vbmc_utils.vbmcd_server_port([str(conf)]) == 50891


def test_the_unit_is_current_only_as_written_and_enabled(tmp_path):
    proc = fake_proc(tmp_path, 50891, ["python3", "/venv/bin/vbmcd"])
    units = tmp_path / "units"
    (units / "multi-user.target.wants").mkdir(parents=True)
    assert vbmc_utils.vbmcd_state("/venv", str(units), proc) == {"listening": True, "unit_current": False}
    (units / "vbmcd.service").write_text(vbmc_utils.vbmcd_unit_text("/venv"))
    assert not vbmc_utils.vbmcd_state("/venv", str(units), proc)["unit_current"]  # not enabled
    os.symlink(str(units / "vbmcd.service"), str(units / "multi-user.target.wants" / "vbmcd.service"))
    assert vbmc_utils.vbmcd_state("/venv", str(units), proc)["unit_current"]
    assert not vbmc_utils.vbmcd_state("/other-venv", str(units), proc)["unit_current"]
