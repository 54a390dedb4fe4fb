"""The deploy commands per release and the reproducer script."""

import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import deploy_command

from tripleo_data import DEPLOY, NODES


def test_queens_deploy_is_the_reference_command():
    nodes = NODES + [dict(NODES[3], name="storage-2")]
    plan = deploy_command.plan("queens", nodes, dict(DEPLOY, environment_files=[], extra_args=[]))
    assert plan["files"] == {}
    assert plan["commands"] == [[
        "openstack", "overcloud", "deploy", "--templates", "--stack", "overcloud",
        "--control-scale", "1", "--control-flavor", "control",
        "--compute-scale", "2", "--compute-flavor", "compute",
        "--ceph-storage-scale", "2", "--ceph-storage-flavor", "ceph-storage",
        "--libvirt-type", "qemu", "--timeout", "120"]]


def test_train_deploy_moves_counts_and_flavors_into_an_environment_file():
    plan = deploy_command.plan("train", NODES, DEPLOY)
    params = plan["files"]["/home/stack/labkit/labkit-parameters.yaml"]["parameter_defaults"]
    assert dict(params) == {"ControllerCount": 1, "OvercloudControlFlavor": "control",
                            "ComputeCount": 2, "OvercloudComputeFlavor": "compute",
                            "CephStorageCount": 1, "OvercloudCephStorageFlavor": "ceph-storage",
                            "NovaComputeLibvirtType": "qemu"}
    (deploy,) = plan["commands"]
    assert "--control-scale" not in deploy and "--libvirt-type" not in deploy
    assert deploy[deploy.index("-e") + 1] == "/home/stack/labkit/labkit-parameters.yaml"
    assert deploy[-4:] == ["--timeout", "120", "--ntp-server", "pool.ntp.org"]
    assert deploy.index("/home/stack/extra.yaml") > deploy.index("/home/stack/labkit/labkit-parameters.yaml")


@pytest.mark.parametrize("release", ["wallaby", "zed"])
def test_wallaby_and_later_provision_nodes_first(release):
    plan = deploy_command.plan(release, NODES, DEPLOY)
    roles = plan["files"]["/home/stack/labkit/baremetal-deployment.yaml"]
    assert [(r["name"], r["count"], r["defaults"]["profile"]) for r in roles] == [
        ("Controller", 1, "control"), ("Compute", 2, "compute"), ("CephStorage", 1, "ceph-storage")]
    provision, deploy = plan["commands"]
    assert provision[:4] == ["openstack", "overcloud", "node", "provision"]
    assert provision[-1] == "/home/stack/labkit/baremetal-deployment.yaml"
    assert ("--yes" in provision) is (release == "zed") and ("--yes" in deploy) is (release == "zed")
    assert "--deployed-server" in deploy
    assert "/home/stack/labkit/baremetal-deployed.yaml" in deploy
    params = plan["files"]["/home/stack/labkit/labkit-parameters.yaml"]["parameter_defaults"]
    assert dict(params) == {"NovaComputeLibvirtType": "qemu"}


def test_unknown_profile_is_refused():
    with pytest.raises(ValueError, match="no overcloud role is known for profile"):
        deploy_command.plan("zed", [dict(NODES[0], profile="gpu")], DEPLOY)


def test_reproducer_quotes_every_word():
    script = deploy_command.reproducer([["openstack", "overcloud", "deploy", "-e", "/tmp/a b.yaml; rm -rf /"]],
                                       "/home/stack/deploy.log")
    assert "'/tmp/a b.yaml; rm -rf /'" in script
    assert script.startswith("#!/bin/bash\n") and "set -euo pipefail" in script


def test_reproducer_quotes_the_rc_file(tmp_path):
    import subprocess
    witness = tmp_path / "injected"
    rc_file = "/nonexistent; touch %s #" % witness
    script = deploy_command.reproducer([["true"]], str(tmp_path / "log"), rc_file)
    assert "source '/nonexistent; touch %s #'" % witness in script
    # Run for real: bash must fail to source the odd name, never run the 'touch'.
    subprocess.run(["bash", "-c", script], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    assert not witness.exists()
    assert "source ~/stackrc" in deploy_command.reproducer([["true"]], "/tmp/log")
