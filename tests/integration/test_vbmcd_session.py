"""Daemons as the modules find them without their clients. The session that speaks to vbmcd for
a module run (module_utils/vbmc.py SESSION_HELPER, run by VirtualBMC's own venv interpreter),
against the real vbmcd: it lists what vbmcd lists, a refused add comes back with vbmcd's reason
and stops the requests after it (so nothing is added that the module would not mark), and a
refused start fails naming it; all in one process. vbmcd and firewalld found running from /proc."""
import json
import subprocess

import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import vbmc

VBMC = "/opt/labkit/vbmc/bin/vbmc"


class Failed(Exception):
    pass


class Module(object):
    """The part of AnsibleModule the client uses; the session never runs a command through it."""

    def __init__(self):
        self.params = {"vbmc_command": VBMC}

    def run_command(self, argv, data=None):
        raise AssertionError("the session ran a vbmc command: %s" % argv)

    def fail_json(self, **kwargs):
        raise Failed(kwargs["msg"])


def cli_list():
    rows = json.loads(subprocess.run([VBMC, "list", "-f", "json"], stdout=subprocess.PIPE, check=True).stdout)
    return dict((row["Domain name"], row) for row in rows)


def test_one_session_lists_as_the_client_does_and_names_what_vbmcd_refused():
    names = ["labkit-session-no-such-domain", "labkit-session-never-sent"]
    requests = [vbmc.add_request(name, "127.0.0.1", 7391 + index, "admin", "session-pw-1", "qemu:///system")
                for index, name in enumerate(names)]
    client = vbmc.Vbmc(Module())
    try:
        assert client.python == "/opt/labkit/vbmc/bin/python3"
        assert client.list() == cli_list()
        session = client.session
        added, error = client.add_all(requests)
        assert added == [] and error.startswith("vbmc add %s failed: " % names[0]) and names[0] in error[30:], error
        with pytest.raises(Failed) as failed:
            client.run("start", names[1])
        assert failed.value.args[0].startswith("vbmc start failed: ") and names[1] in failed.value.args[0]
        assert client.session is session and session.poll() is None
    finally:
        assert client.close() == ""
    assert not set(names) & set(cli_list())


def test_the_running_vbmcd_is_found_listening_and_a_listener_of_another_program_is_not():
    import socket
    assert vbmc.vbmcd_listening(vbmc.vbmcd_server_port())
    # Something else listening on a port (this test's own socket) is not vbmcd.
    other = socket.socket()
    other.bind(("127.0.0.1", 0))
    other.listen(1)
    try:
        assert not vbmc.vbmcd_listening(other.getsockname()[1])
    finally:
        other.close()


def test_the_running_firewalld_is_found_from_proc_as_its_own_client_finds_it():
    from ansible_collections.labkit.tripleo.plugins.module_utils import service
    state = subprocess.run(["firewall-cmd", "--state"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True, check=False)
    pids = service.processes_running("firewalld")
    assert bool(pids) == (state.returncode == 0), (pids, state.stdout)
    for pid in pids:
        with open("/proc/%s/cmdline" % pid, "rb") as stream:
            assert b"firewalld" in stream.read()
