import base64
import json
import os
import pathlib
import subprocess
import urllib.error
import urllib.request

import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
# The checkout is the collection through collections/ansible_collections/labkit/tripleo.
if str(REPO / "collections") not in sys.path:
    sys.path.insert(0, str(REPO / "collections"))
LABS = pathlib.Path(__file__).resolve().parent / "labs"


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: more nodes or longer runs than every CI run needs (make slow)")


def host_state():
    out = subprocess.run(["/usr/bin/python3", str(REPO / "tests" / "host_state.py")], check=True,
                         stdout=subprocess.PIPE, universal_newlines=True).stdout
    return json.loads(out)


def redfish_get(port, path, password, user="admin"):
    """(HTTP status, JSON body or None) of a GET on a lab's Redfish emulator on 127.0.0.1."""
    token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    request = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                     headers={"Authorization": "Basic " + token})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read().decode())
    except urllib.error.HTTPError as exc:
        return exc.code, None


def playbook(playbook, *args):
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([str(REPO / ".venv" / "bin" / "ansible-playbook"), playbook, "-i", "inventories/default"]
                          + list(args), cwd=str(REPO), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)
    return proc.returncode, proc.stdout


@pytest.fixture
def itest_lab():
    """The itest lab is torn down before and after each test that builds it."""
    playbook("playbooks/teardown.yml", "-e", "@%s" % (LABS / "itest.yml"))
    yield str(LABS / "itest.yml")
    rc, out = playbook("playbooks/teardown.yml", "-e", "@%s" % (LABS / "itest.yml"))
    assert rc == 0, out
