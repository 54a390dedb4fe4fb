"""A lab whose BMC is a Redfish emulator (sushy-tools), against the real host: a port held by
another process, switching BMC type both ways, a password change. Registration through
Ironic's redfish driver is in test_tripleo_phases.py."""
import json
import os
import re
import socket
import subprocess

import pytest
import yaml

from conftest import LABS, REPO, host_state, playbook, redfish_get

LAB = LABS / "itestrf.yml"
NODES = ["itestrf-control-1", "itestrf-compute-1"]
VBMC = "/opt/labkit/vbmc/bin/vbmc"


def changed(output):
    match = re.search(r"changed=(\d+)", output.split("PLAY RECAP")[-1])
    assert match, output[-2000:]
    return int(match.group(1))


def variant(tmp_path, name, **bmc):
    spec = yaml.safe_load(open(LAB))
    spec["lab"]["bmc"] = dict(spec["lab"]["bmc"], **bmc)
    for key, value in bmc.items():
        if value is None:
            del spec["lab"]["bmc"][key]
    path = tmp_path / name
    path.write_text(yaml.safe_dump(spec))
    return "@%s" % path


def status(password):
    return redfish_get(7331, "/redfish/v1/Systems", password)[0]


def lab_bmcs():
    rows = json.loads(subprocess.run([VBMC, "list", "-f", "json"], stdout=subprocess.PIPE, check=True).stdout)
    return sorted(row["Domain name"] for row in rows if row["Domain name"] in NODES)


@pytest.fixture
def redfish_lab():
    playbook("playbooks/teardown.yml", "-e", "@%s" % LAB)
    yield
    rc, out = playbook("playbooks/teardown.yml", "-e", "@%s" % LAB)
    assert rc == 0, out[-3000:]
    state = host_state()
    assert not state["redfish_emulators"] and not state["labkit_files"], state


def test_a_port_held_by_another_process_is_refused(redfish_lab):
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", 7331))
    holder.listen(1)
    try:
        rc, out = playbook("site.yml", "-e", "@%s" % LAB)
        assert rc != 0
        assert "127.0.0.1:7331 is already served by another process; nothing was changed" in out, out[-3000:]
        state = host_state()
        assert not state["redfish_emulators"] and not state["labkit_files"], state
    finally:
        holder.close()


def test_switching_bmc_type_replaces_the_bmcs_and_a_new_password_restarts_the_emulator(redfish_lab, tmp_path):
    ipmi = variant(tmp_path, "ipmi.yml", type="ipmi", port=None, port_start=7332)
    rc, out = playbook("site.yml", "-e", ipmi)
    assert rc == 0, out[-3000:]
    assert lab_bmcs() == sorted(NODES)
    assert not host_state()["redfish_emulators"]

    rc, out = playbook("site.yml", "-e", "@%s" % LAB)
    assert rc == 0, out[-3000:]
    assert lab_bmcs() == [], "the VirtualBMCs of the ipmi lab are still there"
    password = (REPO / "artifacts" / "itestrf" / "bmc-password").read_text().strip()
    assert status(password) == 200
    firewall = host_state()
    assert "7331/tcp" in firewall["firewall_ports"] and "7331/tcp" in firewall["firewall_permanent_ports"]
    assert not [p for p in firewall["firewall_ports"] if p.startswith("73") and p.endswith("/udp")], firewall

    pid = open("/run/labkit/redfish-itestrf.pid").read().strip()
    new_password = variant(tmp_path, "password.yml", password="n3w-Secret")
    # A check run with a new password: the BMC phase would restart the emulator, so the verify
    # phase's Redfish read is refused; it says so instead of failing, and nothing changes.
    rc, out = playbook("site.yml", "-e", new_password, "--check")
    assert rc == 0, out[-3000:]
    assert "Not verified in check mode" in out and "Unauthorized" in out, out[-3000:]
    assert open("/run/labkit/redfish-itestrf.pid").read().strip() == pid
    assert status(password) == 200 and "n3w-Secret" not in out
    rc, out = playbook("site.yml", "-e", new_password, "--tags", "bmc")
    assert rc == 0, out[-3000:]
    assert changed(out) > 0
    assert open("/run/labkit/redfish-itestrf.pid").read().strip() != pid
    assert status("n3w-Secret") == 200 and status(password) == 401
    assert "n3w-Secret" not in out, "the password was printed"
    rc, out = playbook("site.yml", "-e", new_password, "--tags", "bmc")
    assert changed(out) == 0, out[-3000:]

    # A run killed after writing the new configuration and before the restart: the file says
    # port 7332, the emulator still listens on 7331. The next run must restart it even though
    # every file is already as wanted.
    config = "/etc/labkit/itestrf/redfish/emulator.conf"
    text = open(config).read()
    assert "SUSHY_EMULATOR_LISTEN_PORT = 7331\n" in text
    with open(config, "w") as stream:
        stream.write(text.replace("SUSHY_EMULATOR_LISTEN_PORT = 7331\n", "SUSHY_EMULATOR_LISTEN_PORT = 7332\n"))
    new_port = variant(tmp_path, "port.yml", password="n3w-Secret", port=7332)
    rc, out = playbook("site.yml", "-e", new_port, "--tags", "bmc", "-v")
    assert rc == 0, out[-3000:]
    assert "action: restarted" in out and "changed_files: []" in out, out[-3000:]
    assert redfish_get(7332, "/redfish/v1/Systems", "n3w-Secret")[0] == 200
    rc, out = playbook("site.yml", "-e", new_port, "--tags", "bmc")
    assert changed(out) == 0, out[-3000:]

    rc, out = playbook("site.yml", "-e", ipmi)
    assert rc == 0, out[-3000:]
    assert lab_bmcs() == sorted(NODES)
    state = host_state()
    assert not state["redfish_emulators"] and not state["labkit_files"], state
    assert not os.path.exists("/run/labkit/redfish-itestrf.pid")
