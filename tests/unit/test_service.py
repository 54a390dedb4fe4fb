"""One way to keep a daemon running: a systemd unit, or a detached process with a pid file."""
import os
import sys
import time

from ansible_collections.labkit.tripleo.plugins.module_utils import service


class RecordingModule(object):
    """Stands in for AnsibleModule: records the commands a keeper runs."""

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


def test_keeper_name():
    assert service.keeper_name("process") == "process" and service.keeper_name("systemd") == "systemd"
    assert service.keeper_name("auto") == ("systemd" if os.path.isdir("/run/systemd/system") else "process")


def test_write_private_never_leaves_a_readable_file(tmp_path):
    path = str(tmp_path / "htpasswd")
    os.umask(0o022)
    service.write_private(path, "admin:hash\n")
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o600)
    assert open(path).read() == "admin:hash\n" and os.listdir(str(tmp_path)) == ["htpasswd"]
    assert service.read_text(str(tmp_path / "missing")) is None


def test_systemd_unit_written_once_then_enabled_and_restarted(tmp_path):
    module = RecordingModule()
    text = service.render_unit("lab lab1", "A daemon", [["/usr/bin/daemon", "--config", "/etc/x.conf"]])
    unit = service.SystemdUnit(module, "labkit-x-lab1.service", text, unit_dir=str(tmp_path))
    assert not unit.running() and unit.definition_changed()
    unit.start()
    written = (tmp_path / "labkit-x-lab1.service").read_text()
    assert "ExecStart=/usr/bin/daemon --config /etc/x.conf" in written and "UMask=0077" in written
    assert module.calls[1:] == [["daemon-reload"], ["enable", unit.unit], ["restart", unit.unit]]
    module.calls = []
    unit.start()
    assert ["daemon-reload"] not in module.calls, "an unchanged unit needs no reload"
    unit.remove()
    assert ["disable", "--now", unit.unit] in module.calls and not os.listdir(str(tmp_path))


def test_a_detached_process_is_known_by_its_pid_file_and_command_line(tmp_path):
    marker = "labkit-service-test-%d" % os.getpid()
    argv = [sys.executable, "-c", "import time; time.sleep(60)", marker]
    keeper = service.DetachedProcess(RecordingModule(), argv, str(tmp_path / "run" / "d.pid"),
                                     str(tmp_path / "log" / "d.log"), lambda cmdline: marker in cmdline)
    assert not keeper.running() and not keeper.installed() and not keeper.definition_changed()
    proc = keeper.start()
    try:
        # The new process's /proc cmdline can read empty for a moment after the start.
        deadline = time.time() + 5
        while not keeper.running() and time.time() < deadline:
            time.sleep(0.05)
        assert keeper.running() and keeper.pid() == proc.pid
        # Its own session: killing the starter's process group leaves it running.
        assert os.getsid(proc.pid) == proc.pid
        # A pid file naming a process that runs something else is not this daemon.
        with open(keeper.pid_file, "w") as stream:
            stream.write("%d\n" % os.getpid())
        assert not keeper.running()
        with open(keeper.pid_file, "w") as stream:
            stream.write("%d\n" % proc.pid)
        keeper.remove()
        proc.wait(timeout=10)
        assert not os.path.exists(keeper.pid_file) and not os.path.exists(keeper.log_file)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_daemon_that_ignores_sigterm_is_killed_after_the_grace(tmp_path):
    ready = str(tmp_path / "ready")
    argv = [sys.executable, "-c", "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "open(sys.argv[1], 'w').close(); time.sleep(60)", ready, "labkit-stubborn"]
    keeper = service.DetachedProcess(RecordingModule(), argv, str(tmp_path / "d.pid"), str(tmp_path / "d.log"),
                                     lambda cmdline: "labkit-stubborn" in cmdline)
    proc = keeper.start()
    deadline = time.time() + 10
    while not os.path.exists(ready) and time.time() < deadline:
        time.sleep(0.05)
    started = time.time()
    keeper.stop(grace=1)
    assert proc.wait(timeout=10) == -9 and time.time() - started < 5
    assert not os.path.exists(keeper.pid_file)


def test_a_oneshot_unit_runs_each_command_and_is_never_restarted():
    text = service.render_unit("lab lab1", "Host address", [["/sbin/ip", "link", "set", "dev", "p", "up"],
                                                            ["/sbin/ip", "addr", "replace", "10.0.0.1/24", "dev", "p"]],
                               after=("ovs-vswitchd.service",), wants=("ovs-vswitchd.service",), oneshot=True)
    lines = text.splitlines()
    assert lines[0] == "# Managed by labkit.tripleo for lab lab1."
    assert [line for line in lines if line.startswith("ExecStart=")] == [
        "ExecStart=/sbin/ip link set dev p up", "ExecStart=/sbin/ip addr replace 10.0.0.1/24 dev p"]
    assert "Type=oneshot" in lines and "RemainAfterExit=yes" in lines and "Wants=ovs-vswitchd.service" in lines
    assert not [line for line in lines if line.startswith("Restart")]


def test_a_hardened_daemon_unit():
    lines = service.render_unit("virthost", "VirtualBMC", [["/opt/vbmc/bin/vbmcd", "--foreground"]],
                                hardened=True).splitlines()
    for expected in ("Restart=on-failure", "NoNewPrivileges=yes", "ProtectSystem=full", "UMask=0077",
                     "ExecStart=/opt/vbmc/bin/vbmcd --foreground", "WantedBy=multi-user.target"):
        assert expected in lines
    assert "Type=oneshot" not in lines


def test_ensure_running_restarts_only_a_changed_unit_and_starts_a_stopped_one(tmp_path):
    module = RecordingModule(active=False)
    unit = service.SystemdUnit(module, "vbmcd.service", "[Unit]\n", unit_dir=str(tmp_path))
    assert unit.ensure_running() is True
    assert module.calls == [["daemon-reload"], ["enable", "vbmcd.service"], ["restart", "vbmcd.service"]]
    module.calls = []
    assert unit.ensure_running() is True  # unchanged but stopped: started
    assert module.calls == [["enable", "vbmcd.service"], ["is-active", "vbmcd.service"], ["start", "vbmcd.service"]]
    module.active, module.calls = True, []
    assert unit.ensure_running() is False
    assert ["restart", "vbmcd.service"] not in module.calls and ["start", "vbmcd.service"] not in module.calls


# ------------------------------------------------------------ daemons found in /proc

def test_the_program_of_a_process_is_its_own_or_its_interpreters_script():
    assert service.program_name([b"/usr/sbin/dnsmasq", b"--conf-file=x"]) == b"dnsmasq"
    assert service.program_name([b"/usr/bin/python3", b"-sP", b"/usr/sbin/firewalld", b"--nofork", b""]) == b"firewalld"
    assert service.program_name([b"/opt/venv/bin/python3.11", b"/opt/venv/bin/vbmcd", b""]) == b"vbmcd"
    # A script given as an argument to another program is not what runs.
    assert service.program_name([b"/usr/bin/less", b"/usr/sbin/firewalld"]) == b"less"
    assert service.program_name([b""]) == b"" and service.program_name([]) == b""


def test_the_processes_running_a_daemon_are_read_from_proc(tmp_path):
    def process(pid, *argv):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    process(10, "/usr/bin/python3", "-s", "/usr/sbin/firewalld", "--nofork", "--nopid")
    process(11, "/usr/bin/vim", "/usr/sbin/firewalld")
    process(12, "/usr/bin/python3", "/usr/bin/firewall-cmd", "--state")
    (tmp_path / "13").mkdir()  # a process gone between the listing and the read
    (tmp_path / "net").mkdir()
    assert service.processes_running("firewalld", str(tmp_path)) == ["10"]
    assert service.processes_running("vbmcd", str(tmp_path)) == []
