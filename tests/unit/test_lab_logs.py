"""lab_logs: secrets scrubbed from every member, the archive's layout, the host commands."""
import io
import os
import tarfile

from ansible_collections.labkit.tripleo.plugins.module_utils import lab_logs


def test_every_secret_is_masked_longest_first():
    assert lab_logs.scrub("pw=s3cret and s3cret2", ["s3cret", "s3cret2"]) == "pw=******** and ********"
    assert lab_logs.scrub("nothing here", ["", None]) == "nothing here"


def test_the_archive_holds_scrubbed_private_members_under_logs():
    archive = lab_logs.Archive(["hunter2"])
    archive.add("consoles/node-1.log", "login with hunter2\n")
    archive.add("domains/node-1.xml", "<domain/>")
    with tarfile.open(fileobj=io.BytesIO(archive.bytes()), mode="r:gz") as tar:
        members = dict((m.name, m) for m in tar.getmembers())
        assert sorted(members) == ["logs/consoles/node-1.log", "logs/domains/node-1.xml"]
        assert all(m.mode == 0o600 for m in members.values())
        assert tar.extractfile("logs/consoles/node-1.log").read() == b"login with ********\n"
    assert archive.members == ["consoles/node-1.log", "domains/node-1.xml"]


def test_host_commands_follow_what_the_host_has():
    paths = [path for path, _argv in lab_logs.host_commands("ovs-br1")]
    assert paths == ["openvswitch/ovs-vsctl-show.txt", "openvswitch/ovs-br1-flows.txt", "openvswitch/ovs-br1-ports.txt"]
    commands = dict(lab_logs.host_commands("ovs-br1", "/opt/vbmc/bin/vbmc", "/usr/bin/firewall-cmd"))
    assert commands["bmc/vbmc-list.txt"] == ["/opt/vbmc/bin/vbmc", "list"]
    assert commands["firewall/zones.txt"] == ["/usr/bin/firewall-cmd", "--list-all-zones"]
    assert commands["openvswitch/ovs-br1-flows.txt"] == ["ovs-ofctl", "dump-flows", "ovs-br1"]


def test_names_become_safe_file_names():
    assert lab_logs.safe_name("control-1") == "control-1" and lab_logs.safe_name("../x y") == ".._x_y"


def test_ironic_report_gives_each_node_its_state_and_last_error_in_the_labs_order():
    nodes = {"n2": {"uuid": "u2", "provision_state": "enroll", "power_state": None, "driver": "ipmi",
                    "last_error": "Failed to get power state: IPMI timeout", "inspected": False},
             "n1": {"uuid": "u1", "provision_state": "available", "power_state": "power off", "driver": "ipmi",
                    "last_error": None, "inspected": True},
             "other": {"uuid": "u9", "provision_state": "active"}}
    rows, text = lab_logs.ironic_report(nodes, ["n1", "n2", "n3"])
    assert [(r["name"], r["registered"], r.get("provision_state")) for r in rows] == [
        ("n1", True, "available"), ("n2", True, "enroll"), ("n3", False, None)]
    assert rows[1]["last_error"] == "Failed to get power state: IPMI timeout"
    assert text == ("n1: available, power off\n"
                    "n2: enroll, None; last error: Failed to get power state: IPMI timeout\n"
                    "n3: not registered in Ironic\n")


def test_password_file_values_are_read_without_yaml():
    text = ("parameter_defaults:\n  AdminPassword: Ab12cd34\n  KeystoneFernetKey0: 'x/y+z='\n"
            "  HeatAuthEncryptionKey: \"q9w8e7\"\n# comment: no\n  Debug: true\n")
    assert lab_logs.password_file_values(text) == ["Ab12cd34", "x/y+z=", "q9w8e7"]
    assert lab_logs.password_file_values("") == []


def test_the_archive_is_written_private_even_over_a_wider_file(tmp_path):
    path = tmp_path / "logs.tar.gz"
    path.write_text("old")
    os.chmod(str(path), 0o644)
    archive = lab_logs.Archive([])
    archive.add("missing.txt", "nothing missing\n")
    archive.write(str(path))
    assert os.stat(str(path)).st_mode & 0o777 == 0o600
    with tarfile.open(str(path), mode="r:gz") as tar:
        assert tar.getnames() == ["logs/missing.txt"]


def test_a_log_is_read_from_its_end_and_a_missing_one_is_none(tmp_path):
    path = tmp_path / "install.log"
    path.write_text("first\n" + "x" * 100 + "\nlast line\n")
    assert lab_logs.read_log(str(path), size=10) == "last line\n"
    assert lab_logs.read_log(str(tmp_path / "absent.log")) is None and lab_logs.read_log(None) is None
    (tmp_path / "empty.log").write_text("")
    assert lab_logs.read_log(str(tmp_path / "empty.log")) == ""


def test_what_could_not_be_read_is_listed_in_the_archive():
    archive = lab_logs.Archive([])
    archive.add_missing("missing.txt", ["domain a: not defined", "bmc/redfish.log: x does not exist"])
    archive.add_missing("undercloud/missing.txt", [])
    with tarfile.open(fileobj=io.BytesIO(archive.bytes()), mode="r:gz") as tar:
        assert tar.extractfile("logs/missing.txt").read() == (
            b"domain a: not defined\nbmc/redfish.log: x does not exist\n")
        assert tar.extractfile("logs/undercloud/missing.txt").read() == b"nothing missing\n"
