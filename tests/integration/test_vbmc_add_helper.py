"""The helper that adds VirtualBMCs in one process (module_utils/vbmc.py ADD_HELPER), run by
VirtualBMC's own venv interpreter against the real vbmcd: a refused add comes back with vbmcd's
reason and stops the requests after it, so nothing is added that the module would not mark."""
import json
import subprocess

from ansible_collections.labkit.tripleo.plugins.module_utils import vbmc

VENV_PYTHON = "/opt/labkit/vbmc/bin/python3"
VBMC = "/opt/labkit/vbmc/bin/vbmc"


def lab_bmcs(names):
    rows = json.loads(subprocess.run([VBMC, "list", "-f", "json"], stdout=subprocess.PIPE, check=True).stdout)
    return [row["Domain name"] for row in rows if row["Domain name"] in names]


def test_a_refused_add_returns_vbmcds_reason_and_stops_the_rest():
    names = ["labkit-helper-no-such-domain", "labkit-helper-never-sent"]
    requests = [vbmc.add_request(name, "127.0.0.1", 7391 + index, "admin", "helper-pw-1", "qemu:///system")
                for index, name in enumerate(names)]
    proc = subprocess.run([VENV_PYTHON, "-c", vbmc.ADD_HELPER], input=json.dumps(requests), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, check=False)
    assert proc.returncode == 0, proc.stderr
    replies = json.loads(proc.stdout)
    assert len(replies) == 1 and replies[0]["domain_name"] == names[0] and replies[0]["rc"] == 1, replies
    assert names[0] in " ".join(replies[0]["msg"]), replies
    assert lab_bmcs(names) == []


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
