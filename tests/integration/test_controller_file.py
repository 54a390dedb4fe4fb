"""labkit.tripleo.controller_file run by ansible-playbook: it writes on the controller without
reaching the task's host, and check mode, --diff, no_log and bad arguments behave as Ansible's own."""
import json
import os
import stat

from conftest import playbook

# The task's host is an SSH port on loopback where nothing listens: any connection fails the run.
INVENTORY = "nowhere ansible_host=127.0.0.1 ansible_port=1 ansible_connection=ssh\n"


def run(tmp_path, tasks, *args):
    (tmp_path / "hosts").write_text(INVENTORY)
    play = [{"hosts": "nowhere", "gather_facts": False, "tasks": tasks}]
    (tmp_path / "play.yml").write_text(json.dumps(play))
    return playbook(str(tmp_path / "play.yml"), "-i", str(tmp_path / "hosts"), *args)


def test_writes_on_the_controller_without_a_connection_and_a_rerun_changes_nothing(tmp_path):
    path = tmp_path / "artifacts" / "lab1" / "instackenv.json"
    tasks = [{"labkit.tripleo.controller_file": {"path": str(path.parent), "state": "directory", "mode": "0700"}},
             {"labkit.tripleo.controller_file": {"path": str(path), "content": "s3cret-value\n", "mode": "0600"},
              "no_log": True}]
    rc, out = run(tmp_path, tasks, "--diff")
    assert rc == 0, out
    assert "changed=2" in out and "unreachable=0" in out
    assert "s3cret-value" not in out  # no_log hides the diff too
    assert path.read_text() == "s3cret-value\n"
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600
    rc, out = run(tmp_path, tasks)
    assert rc == 0 and "changed=0" in out, out


def test_check_mode_and_diff_show_the_change_and_write_nothing(tmp_path):
    path = tmp_path / "lab.json"
    path.write_text("old line\n")
    tasks = [{"labkit.tripleo.controller_file": {"path": str(path), "content": "new line\n", "mode": "0644"}}]
    rc, out = run(tmp_path, tasks, "--check", "--diff")
    assert rc == 0, out
    assert "-old line" in out and "+new line" in out and "changed=1" in out
    assert path.read_text() == "old line\n"


def test_a_bad_argument_fails_naming_it(tmp_path):
    tasks = [{"labkit.tripleo.controller_file": {"path": str(tmp_path / "f"), "content": "x", "mode": "rw-"}}]
    rc, out = run(tmp_path, tasks)
    assert rc != 0 and "mode must be octal" in out, out
    tasks = [{"labkit.tripleo.controller_file": {"path": str(tmp_path / "f"), "content": "x"}}]
    rc, out = run(tmp_path, tasks)
    assert rc != 0 and "missing: mode" in out, out
    assert not (tmp_path / "f").exists()
