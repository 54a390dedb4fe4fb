# -*- coding: utf-8 -*-
"""undercloud_logs: main() with its real argument checks against a fake undercloud (a stackrc,
the lab's directory, the passwords file in tmp_path; ``openstack`` answered by a fake Ironic):
what is archived where, every password scrubbed, what is missing noted instead of failing. The
real run, against the real Ironic of tests/ironic, is in tests/integration/test_tripleo_phases.py."""
import json
import os
import tarfile

from ansible_collections.labkit.tripleo.plugins.modules import undercloud_logs

from module_harness import run_main

NODES = [{"name": "lab-control-1", "uuid": "u1", "provision_state": "enroll", "power_state": None,
          "driver": "ipmi", "last_error": "Failed to get power state: bmc pw Bmc-Secret9 refused"},
         {"name": "other-lab-1", "uuid": "u9", "provision_state": "active"}]


def undercloud(tmp_path, ironic_rc=0):
    home = tmp_path / "home"
    workdir = home / "labkit-lab"
    workdir.mkdir(parents=True)
    (home / "stackrc").write_text("export OS_PASSWORD=Uc-Admin-77\n")
    (home / "tripleo-undercloud-passwords.yaml").write_text("parameter_defaults:\n  RabbitPassword: Rabbit-88x\n")
    (home / "undercloud.conf").write_text("[DEFAULT]\nlocal_ip = 192.168.24.1/24\n")
    (workdir / "undercloud-install.log").write_text("keystone admin Uc-Admin-77, rabbit Rabbit-88x\n")
    (workdir / "overcloud-node-import.log").write_text("$ openstack overcloud node import\n[rc 0]\n")

    def commands(argv):
        if argv[0] == "bash":
            return 0, "OS_PASSWORD=Uc-Admin-77\0OS_AUTH_URL=http://127.0.0.1:5000\0", ""
        assert argv[1:] == ["baremetal", "node", "list", "--long", "-f", "json"], argv
        return (0, json.dumps(NODES), "") if ironic_rc == 0 else (1, "", "Unable to establish connection")

    args = {"nodes": ["lab-control-1", "lab-compute-1"], "workdir": str(workdir), "stack_home": str(home),
            "rc_file": str(home / "stackrc"), "secrets": ["Bmc-Secret9"], "dest": str(tmp_path / "logs.tar.gz")}
    return args, commands


def members(path):
    with tarfile.open(path, mode="r:gz") as tar:
        return dict((m.name, tar.extractfile(m).read().decode()) for m in tar.getmembers())


def test_ironic_and_the_phase_logs_are_archived_with_every_password_scrubbed(monkeypatch, tmp_path):
    args, commands = undercloud(tmp_path)
    kind, result, _warnings = run_main(monkeypatch, undercloud_logs, args, commands=commands)
    assert kind == "exit" and result["changed"] is False
    files = members(args["dest"])
    assert sorted(files) == ["logs/undercloud/%s" % n for n in (
        "ironic-nodes.json", "ironic-nodes.txt", "missing.txt", "overcloud-node-import.log", "undercloud-install.log",
        "undercloud.conf")]
    assert os.stat(args["dest"]).st_mode & 0o777 == 0o600
    text = "".join(files.values())
    for secret in ("Uc-Admin-77", "Rabbit-88x", "Bmc-Secret9"):
        assert secret not in text
    assert files["logs/undercloud/undercloud-install.log"] == "keystone admin ********, rabbit ********\n"
    rows = json.loads(files["logs/undercloud/ironic-nodes.json"])
    assert [(r["name"], r["registered"]) for r in rows] == [("lab-control-1", True), ("lab-compute-1", False)]
    assert files["logs/undercloud/ironic-nodes.txt"].splitlines()[0] == (
        "lab-control-1: enroll, None; last error: Failed to get power state: bmc pw ******** refused")
    assert result["missing"] == ["undercloud/overcloud-deploy.log: not written yet (its phase has not run)"]


def test_an_undercloud_whose_ironic_does_not_answer_or_is_not_installed_is_noted_not_failed(monkeypatch, tmp_path):
    args, commands = undercloud(tmp_path, ironic_rc=1)
    kind, result, _warnings = run_main(monkeypatch, undercloud_logs, args, commands=commands)
    assert kind == "exit" and result["missing"][0].startswith(
        "ironic: openstack baremetal node list failed (rc 1): Unable to establish connection")
    os.remove(args["rc_file"])
    kind, result, _warnings = run_main(monkeypatch, undercloud_logs, args, commands=commands)
    assert kind == "exit" and result["missing"][0] == "ironic: no rc file %s (the undercloud is not installed)" % (
        args["rc_file"])
    assert "logs/undercloud/ironic-nodes.json" not in members(args["dest"])
