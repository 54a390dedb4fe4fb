"""lab_logs: secrets scrubbed from every member, the archive's layout, the host commands."""
import io
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
