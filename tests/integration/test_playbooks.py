"""site.yml and teardown.yml against the real host: check mode, bad input, name collisions."""
import json
import re
import subprocess

import libvirt
import pytest

from conftest import REPO, host_state, playbook

ARTIFACTS = REPO / "artifacts" / "itest"


def recap(output):
    match = re.search(r"ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", output)
    assert match, output[-2000:]
    return dict(zip(("ok", "changed", "unreachable", "failed"), map(int, match.groups())))


def task_status(output, name):
    """ok, changed, skipping or failed: what the run said of the task of this name (its first)."""
    match = re.search(r"TASK \[[^\]]*: %s\][^\n]*\n(\w+)" % re.escape(name), output)
    assert match, "no task %r in the run" % name
    return match.group(1)


def test_check_mode_on_a_clean_host_changes_nothing(itest_lab):
    before = host_state()
    rc, out = playbook("site.yml", "-e", "@" + itest_lab, "--check")
    assert rc == 0, out[-3000:]
    # It reports what it would do...
    assert recap(out)["changed"] > 0
    # ...and does none of it, on the host or in the controller's artifacts.
    assert host_state() == before
    assert not ARTIFACTS.exists()


def test_malformed_description_fails_before_any_change():
    before = host_state()
    rc, out = playbook("site.yml", "-e", "@%s" % (REPO / "tests/integration/labs/malformed.yml"))
    assert rc != 0
    for field in ("lab.nodes[0].nics[0]", "lab.nodes[1].disk_gb", "lab.nodes[1].colour"):
        assert field in out, out[-3000:]
    assert "Install virthost packages" not in out
    assert host_state() == before
    assert not ARTIFACTS.exists()


def test_second_run_changes_nothing_and_teardown_leaves_nothing(itest_lab):
    before = host_state()
    rc, out = playbook("site.yml", "-e", "@" + itest_lab)
    assert rc == 0, out[-3000:]
    assert {"itest-control-1", "itest-compute-1"} <= set(host_state()["domains"])
    rc, out = playbook("site.yml", "-e", "@" + itest_lab)
    assert rc == 0, out[-3000:]
    assert recap(out)["changed"] == 0, out[-3000:]
    assert task_status(out, "Read the lab's domains from libvirt") == "skipping"
    # A whole run takes MACs and power states from the domains phase's read-back; the verify
    # phase alone reads libvirt itself. Both must write the same lab.json and instackenv.json.
    written = dict((name, (ARTIFACTS / name).read_text()) for name in ("lab.json", "instackenv.json"))
    assert json.loads(written["lab.json"])["vms"][0]["nics"], written["lab.json"]
    rc, out = playbook("site.yml", "-e", "@" + itest_lab, "--tags", "verify,instackenv")
    assert rc == 0, out[-3000:]
    assert task_status(out, "Read the lab's domains from libvirt") == "ok" and recap(out)["changed"] == 0, out[-3000:]
    assert dict((name, (ARTIFACTS / name).read_text()) for name in written) == written
    rc, out = playbook("playbooks/teardown.yml", "-e", "@" + itest_lab)
    assert rc == 0, out[-3000:]
    after = host_state()
    # The host is back where it was, save the vbmc virtualenv the virthost role installs.
    assert after == before


def test_changed_size_updates_the_definition_and_says_so(itest_lab, tmp_path):
    rc, out = playbook("site.yml", "-e", "@" + itest_lab)
    assert rc == 0, out[-3000:]
    bigger = tmp_path / "bigger.yml"
    bigger.write_text(open(itest_lab).read().replace(
        "{name: itest-compute-1, profile: compute, vcpus: 1, memory_mb: 512",
        "{name: itest-compute-1, profile: compute, vcpus: 2, memory_mb: 768"))
    rc, out = playbook("site.yml", "-e", "@%s" % bigger, "--tags", "domains")
    assert rc == 0, out[-3000:]
    assert "vcpus: 1 -> 2" in out and "memory_mib: 512 -> 768" in out
    conn = libvirt.open("qemu:///system")
    dom = conn.lookupByName("itest-compute-1")
    assert dom.maxMemory() == 768 * 1024 and dom.vcpusFlags(libvirt.VIR_DOMAIN_AFFECT_CONFIG) == 2
    rc, out = playbook("site.yml", "-e", "@%s" % bigger, "--tags", "domains")
    assert recap(out)["changed"] == 0, out[-3000:]


@pytest.fixture
def foreign_domain():
    conn = libvirt.open("qemu:///system")
    dom = conn.defineXML("""<domain type='qemu'><name>itest-control-1</name><memory unit='MiB'>64</memory>
        <vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>""")
    xml = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
    yield conn, xml
    dom = conn.lookupByName("itest-control-1")
    dom.undefine()


def test_a_foreign_domain_of_the_same_name_is_refused_and_survives(itest_lab, foreign_domain):
    conn, xml = foreign_domain
    rc, out = playbook("site.yml", "-e", "@" + itest_lab)
    assert rc != 0
    assert "itest-control-1 (owner: none)" in out, out[-3000:]
    # Nothing of the lab's domains was defined either: the check runs before any define.
    assert "itest-compute-1" not in host_state()["domains"]
    rc, out = playbook("playbooks/teardown.yml", "-e", "@" + itest_lab)
    assert rc == 0, out[-3000:]
    assert conn.lookupByName("itest-control-1").XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE) == xml


def test_a_foreign_bridge_of_the_same_name_is_refused_and_survives(itest_lab):
    subprocess.run(["ovs-vsctl", "add-br", "itest-br0", "--", "set", "Bridge", "itest-br0", "datapath_type=netdev"],
                   check=True)
    try:
        rc, out = playbook("site.yml", "-e", "@" + itest_lab)
        assert rc != 0
        assert "'itest-br0' exists but was not created by lab 'itest'" in out, out[-3000:]
        rc, out = playbook("playbooks/teardown.yml", "-e", "@" + itest_lab)
        assert rc == 0, out[-3000:]
        assert "itest-br0" in host_state()["bridges"]
    finally:
        subprocess.run(["ovs-vsctl", "--if-exists", "del-br", "itest-br0"], check=True)
