# -*- coding: utf-8 -*-
"""lab_lock (module_utils): one run per lab - taken with an exclusive create, held again by the
same run, refused while another live run holds it, taken over from a dead one, released only by
its holder; the holder process found by walking /proc. lab_lock (module): the same through
main(), in a temporary lab directory."""
import json
import os
import socket

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.labkit.tripleo.plugins.module_utils import lab_lock
from ansible_collections.labkit.tripleo.plugins.modules import lab_lock as lab_lock_module


def no_such_pid():
    """A pid no process can have (above the kernel's pid_max)."""
    with open("/proc/sys/kernel/pid_max") as stream:
        return int(stream.read()) + 1


def lock_of(directory):
    with open(os.path.join(str(directory), lab_lock.LOCK_FILE)) as stream:
        return json.load(stream)


# ------------------------------------------------------------ the holder process

def test_a_process_start_time_tells_a_live_process_from_a_gone_one():
    start = lab_lock.process_start_time(os.getpid())
    assert isinstance(start, int) and start == lab_lock.process_start_time(os.getpid())
    assert lab_lock.process_start_time(no_such_pid()) is None


def test_the_holder_is_the_first_ansible_playbook_or_else_the_nearest_ssh_session(monkeypatch):
    tree = {50: (40, "python3 -m ansible worker"), 40: (30, "/usr/bin/python3 /usr/bin/ansible-playbook site.yml"),
            30: (20, "/usr/bin/python3 /usr/bin/ansible-playbook site.yml"), 20: (1, "bash")}
    monkeypatch.setattr(lab_lock, "_parent", lambda pid: tree.get(pid, (None, ""))[0])
    monkeypatch.setattr(lab_lock, "_command_line", lambda pid: tree.get(pid, (None, ""))[1])
    assert lab_lock.find_holder_process(50) == (30, "/usr/bin/python3 /usr/bin/ansible-playbook site.yml")
    tree.update({40: (30, "sh -c python3 module.py"), 30: (20, "sshd: root@notty")})
    assert lab_lock.find_holder_process(50) == (30, "sshd: root@notty")
    tree[30] = (20, "sh")
    assert lab_lock.find_holder_process(50) == (None, "")


def test_the_holder_is_found_from_this_process_by_default():
    pid, command = lab_lock.find_holder_process()
    assert (pid is None and command == "") or (isinstance(pid, int) and command)


def test_a_holder_is_described_and_judged_alive_by_pid_and_start_time():
    me = {"run_id": "r1", "pid": os.getpid(), "pid_start": lab_lock.process_start_time(os.getpid()),
          "host": socket.gethostname(), "user": "alice", "started": "2024-01-01T00:00:00Z", "command": "x" * 200}
    assert lab_lock.holder_description(me) == ("run r1 (pid %d on %s, user alice, started 2024-01-01T00:00:00Z, %s)"
                                               % (os.getpid(), socket.gethostname(), "x" * 120))
    assert lab_lock.holder_description(dict(me, command="")).endswith("started 2024-01-01T00:00:00Z)")
    assert lab_lock.holder_alive(me)
    assert not lab_lock.holder_alive(dict(me, pid_start=me["pid_start"] + 1))  # the pid was reused
    assert not lab_lock.holder_alive(dict(me, pid=no_such_pid()))
    # Another host's process, or no pid: cannot be judged here, so it counts as alive.
    assert lab_lock.holder_alive(dict(me, host="elsewhere", pid=no_such_pid()))
    assert lab_lock.holder_alive(dict(me, pid=None))


# ------------------------------------------------------------ acquire and release

def test_a_lock_is_acquired_private_and_held_again_by_the_same_run(tmp_path):
    directory = tmp_path / "lab"
    assert lab_lock.acquire(str(directory), "r1", "alice") == ("acquired", None)
    assert os.stat(str(directory)).st_mode & 0o777 == 0o700
    assert os.stat(str(directory / lab_lock.LOCK_FILE)).st_mode & 0o777 == 0o600
    lock = lock_of(directory)
    assert lock["run_id"] == "r1" and lock["user"] == "alice" and lock["host"] == socket.gethostname()
    action, current = lab_lock.acquire(str(directory), "r1", "alice")
    assert action == "held" and current == lock


def test_another_live_run_is_refused_naming_the_holder(tmp_path):
    (tmp_path / lab_lock.LOCK_FILE).write_text(json.dumps({"run_id": "r1", "pid": os.getpid(), "host": "elsewhere",
                                                           "user": "alice"}))
    with pytest.raises(lab_lock.LockHeld) as held:
        lab_lock.acquire(str(tmp_path), "r2", "bob")
    assert held.value.lock["run_id"] == "r1" and str(held.value).startswith("run r1 (pid %d on elsewhere" % os.getpid())
    assert lock_of(tmp_path)["run_id"] == "r1"


def test_a_dead_runs_lock_is_taken_over(tmp_path):
    dead = {"run_id": "r1", "pid": no_such_pid(), "pid_start": 1, "host": socket.gethostname(), "user": "alice"}
    (tmp_path / lab_lock.LOCK_FILE).write_text(json.dumps(dead))
    assert lab_lock.acquire(str(tmp_path), "r2", "bob") == ("taken over", dead)
    assert lock_of(tmp_path)["run_id"] == "r2" and sorted(os.listdir(str(tmp_path))) == [lab_lock.LOCK_FILE]


def test_an_unreadable_lock_is_taken_over(tmp_path):
    (tmp_path / lab_lock.LOCK_FILE).write_text("{half a lock")
    assert lab_lock.lock_run_id(str(tmp_path / lab_lock.LOCK_FILE)) is None
    assert lab_lock.acquire(str(tmp_path), "r2", "bob") == ("taken over", {})


def test_only_the_holder_releases_the_lock(tmp_path):
    assert lab_lock.release(str(tmp_path), "r1") is False
    lab_lock.acquire(str(tmp_path), "r1", "alice")
    assert lab_lock.lock_run_id(str(tmp_path / lab_lock.LOCK_FILE)) == "r1"
    assert lab_lock.release(str(tmp_path), "r2") is False
    assert lab_lock.release(str(tmp_path), "r1") is True
    assert not (tmp_path / lab_lock.LOCK_FILE).exists()
    assert lab_lock.lock_run_id(str(tmp_path / lab_lock.LOCK_FILE)) is None


# ------------------------------------------------------------ the module

def run(capsys, tmp_path, **args):
    with patch_module_args(dict({"lab": "mylab", "dir": str(tmp_path), "run_id": "r1"}, **args)):
        with pytest.raises(SystemExit) as exited:
            lab_lock_module.main()
    return exited.value.code, json.loads(capsys.readouterr().out)


def test_the_module_takes_holds_refuses_breaks_and_releases_the_lock(tmp_path, capsys):
    code, result = run(capsys, tmp_path)
    assert code == 0 and result["action"] == "acquired" and result["changed"] is False
    assert run(capsys, tmp_path)[1]["action"] == "held"
    # Another run while this process (the holder) lives.
    lock = lock_of(tmp_path / "mylab")
    lock["host"] = "elsewhere"
    (tmp_path / "mylab" / lab_lock.LOCK_FILE).write_text(json.dumps(lock))
    code, result = run(capsys, tmp_path, run_id="r2")
    assert code == 1 and result["msg"].startswith("lab mylab is being built or torn down by another run: run r1 ")
    assert "-e lab_break_lock=true" in result["msg"]
    code, result = run(capsys, tmp_path, run_id="r2", break_lock=True)
    assert code == 0 and result["action"] == "acquired"
    code, result = run(capsys, tmp_path, run_id="r2", state="absent")
    assert code == 0 and result["action"] == "released" and not (tmp_path / "mylab").exists()
    assert run(capsys, tmp_path, run_id="r2", state="absent")[1]["action"] == "not held"


def test_the_module_takes_over_a_dead_runs_lock_and_warns(tmp_path, capsys, monkeypatch):
    warned = []
    monkeypatch.setattr(lab_lock_module.AnsibleModule, "warn", lambda self, warning: warned.append(warning))
    (tmp_path / "mylab").mkdir()
    dead = {"run_id": "r0", "pid": no_such_pid(), "pid_start": 1, "host": socket.gethostname(), "user": "alice"}
    (tmp_path / "mylab" / lab_lock.LOCK_FILE).write_text(json.dumps(dead))
    code, result = run(capsys, tmp_path)
    assert code == 0 and result["action"] == "taken over" and result["previous"] == dead
    assert warned == ["took over the lock of lab mylab from a run that is gone: %s" % lab_lock.holder_description(dead)]


# ------------------------------------------------------------ lab_record's lock option

def record_run(capsys, tmp_path, check_mode=False, **args):
    from ansible_collections.labkit.tripleo.plugins.modules import lab_record as lab_record_module
    params = dict({"lab": "mylab", "dir": str(tmp_path), "lock": {"run_id": "r1"}}, **args)
    if check_mode:
        params["_ansible_check_mode"] = True
    with patch_module_args(params):
        with pytest.raises(SystemExit) as exited:
            lab_record_module.main()
    return exited.value.code, json.loads(capsys.readouterr().out)


def test_the_record_takes_the_lock_first_in_check_mode_too_and_teardown_releases_it(tmp_path, capsys):
    code, result = record_run(capsys, tmp_path, check_mode=True, nodes=["n1"])
    assert code == 0 and result["lock"] == {"action": "acquired"}
    assert lock_of(tmp_path / "mylab")["run_id"] == "r1"
    assert not (tmp_path / "mylab" / "state.json").exists()  # check mode writes no record
    code, result = record_run(capsys, tmp_path, nodes=["n1"])
    assert code == 0 and result["lock"] == {"action": "held"} and result["bmc_ports"] == {"n1": 7001}
    # Another live run is refused before the record is read.
    code, result = record_run(capsys, tmp_path, lock={"run_id": "r2"}, nodes=["n1"])
    assert code == 1 and "being built or torn down by another run: run r1 " in result["msg"]
    code, result = record_run(capsys, tmp_path, state="absent")
    assert code == 0 and result["lock"] == {"action": "released"} and result["changed"] is True
    assert not (tmp_path / "mylab").exists()


def test_a_run_the_record_refuses_leaves_no_lock_behind(tmp_path, capsys):
    (tmp_path / "mylab").mkdir()
    (tmp_path / "mylab" / "state.json").write_text('{"instance": "other-instance", "bmc_ports": {}}')
    code, result = record_run(capsys, tmp_path, known_instance="my-instance", nodes=["n1"])
    assert code == 1 and "nothing was changed" in result["msg"]
    assert not (tmp_path / "mylab" / lab_lock.LOCK_FILE).exists()
    # A lock this run held before the refusal stays: the run's own release gives it back.
    lab_lock.acquire(str(tmp_path / "mylab"), "r1", "")
    code, result = record_run(capsys, tmp_path, known_instance="my-instance", nodes=["n1"])
    assert code == 1 and lock_of(tmp_path / "mylab")["run_id"] == "r1"


def test_the_record_releases_the_lock_at_the_end_of_a_run_and_keeps_itself(tmp_path, capsys):
    code, result = record_run(capsys, tmp_path, nodes=["n1"])
    assert code == 0 and result["lock"] == {"action": "acquired"}
    record = (tmp_path / "mylab" / "state.json").read_text()
    # Check mode gives the lock back too: a check run took it.
    code, result = record_run(capsys, tmp_path, check_mode=True, state="released")
    assert code == 0 and result["lock"] == {"action": "released"} and result["changed"] is False
    assert not (tmp_path / "mylab" / lab_lock.LOCK_FILE).exists()
    assert (tmp_path / "mylab" / "state.json").read_text() == record
    # Another run's lock is not this run's to give back.
    lab_lock.acquire(str(tmp_path / "mylab"), "r2", "")
    code, result = record_run(capsys, tmp_path, state="released")
    assert code == 0 and result["lock"] == {"action": "not held"} and lock_of(tmp_path / "mylab")["run_id"] == "r2"
    code, result = record_run(capsys, tmp_path, state="released", lock=None)
    assert code == 1 and "lock" in result["msg"]


def test_a_record_that_lists_firewall_rules_is_not_forgotten_and_the_lock_goes(tmp_path, capsys):
    code, result = record_run(capsys, tmp_path, nodes=["n1"])
    assert code == 0
    path = tmp_path / "mylab" / "state.json"
    record = json.loads(path.read_text())
    record["firewall"] = [{"zone": "public", "port": "7001-7002", "protocol": "udp", "source": None}]
    path.write_text(json.dumps(record))
    # Check mode cannot tell: the firewall step before it removed nothing.
    code, result = record_run(capsys, tmp_path, check_mode=True, state="absent")
    assert code == 0 and path.exists()
    code, result = record_run(capsys, tmp_path, state="absent")
    assert code == 1 and "7001-7002/udp zone-wide in zone public" in result["msg"], result
    assert json.loads(path.read_text()) == record
    assert not (tmp_path / "mylab" / lab_lock.LOCK_FILE).exists()
    record["firewall"] = []
    path.write_text(json.dumps(record))
    code, result = record_run(capsys, tmp_path, state="absent")
    assert code == 0 and not path.exists()
