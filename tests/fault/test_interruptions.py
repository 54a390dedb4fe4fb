"""Runs killed with SIGKILL at the worst moments, and runs that overlap."""
import json
import os
import re

import pytest

from conftest import (FAKES, IMAGES, RECORDS, assert_no_duplicate_mac, base_lab, changed_count, changed_tasks, count,
                      kill_run, lab_state, run, start, wait_for, write_lab)


def _converges(tmp_path, lab_file):
    rc, out = run("site.yml", lab_file)
    assert rc == 0, out[-4000:]
    rc, again = run("site.yml", lab_file)
    assert rc == 0 and changed_count(again) == 0, again[-4000:]
    state = lab_state()
    assert_no_duplicate_mac(state)
    assert sorted(state["domains"]) == ["ifault-a", "ifault-b", "ifault-c"]
    assert state["bmcs"] == {"ifault-a": 7401, "ifault-b": 7402, "ifault-c": 7403}
    assert state["images"] == ["ifault_ifault-%s-vda.qcow2" % n for n in "abc"], state["images"]
    return out


def test_killed_between_disk_create_and_mark(fault_lab, tmp_path):
    lab_file = write_lab(tmp_path, base_lab())
    marker = str(tmp_path / "qemu-img-ran")
    proc = start("site.yml", lab_file, "-e", "vm_disks_qemu_img=%s" % (FAKES / "fake-qemu-img-hangs"),
                 FAULT_MARKER=marker)
    wait_for(lambda: os.path.exists(marker), what="the fake qemu-img to create a disk")
    kill_run(proc)
    count("faults injected")
    leftovers = [f for f in os.listdir(IMAGES) if "ifault" in f]
    # The disk exists only under its temporary name, unmarked: nothing at the real path.
    assert leftovers and all(f.startswith(".") and f.endswith(".labkit-tmp") for f in leftovers), leftovers
    out = _converges(tmp_path, lab_file)
    assert "took over the lock of lab ifault" in out
    assert not [f for f in os.listdir(IMAGES) if f.endswith(".labkit-tmp")]
    count("faults survived")


def test_killed_after_domains_before_bmcs(fault_lab, tmp_path):
    lab_file = write_lab(tmp_path, base_lab())
    marker = str(tmp_path / "vbmc-ran")
    proc = start("site.yml", lab_file, "-e", "vbmc_command=%s" % (FAKES / "fake-vbmc-hangs"), FAULT_MARKER=marker)
    wait_for(lambda: os.path.exists(marker), what="the BMC phase to start")
    kill_run(proc)
    count("faults injected")
    state = lab_state()
    assert sorted(state["domains"]) == ["ifault-a", "ifault-b", "ifault-c"] and state["bmcs"] == {}
    _converges(tmp_path, lab_file)
    count("faults survived")


def test_a_second_run_of_the_same_lab_fails_at_once_naming_the_first(fault_lab, tmp_path):
    lab_file = write_lab(tmp_path, base_lab())
    marker = str(tmp_path / "vbmc-ran")
    first = start("site.yml", lab_file, "-e", "vbmc_command=%s" % (FAKES / "fake-vbmc-hangs"), FAULT_MARKER=marker)
    try:
        wait_for(lambda: os.path.exists(marker), what="the first run to reach its BMC phase")
        count("faults injected")
        rc, out = run("site.yml", lab_file)
        assert rc != 0
        assert "lab ifault is being built or torn down by another run" in out, out[-3000:]
        assert "pid %d" % first.pid in out, out[-3000:]
        # The second run stopped before the host side: it defined nothing, started no BMC.
        assert "Define every VM of the lab" not in out
        rc, out = run("playbooks/teardown.yml", lab_file)
        assert rc != 0 and "being built or torn down by another run" in out
        count("faults survived")
    finally:
        kill_run(first)
    assert os.path.exists(os.path.join(RECORDS, "ifault", "lock.json"))


def _pids(pattern):
    """Live processes whose command line holds ``pattern`` (zombies, which PID 1 may not reap here, excluded)."""
    import subprocess
    out = subprocess.run(["pgrep", "-f", pattern], stdout=subprocess.PIPE, universal_newlines=True, check=False).stdout
    pids = []
    for pid in (int(p) for p in out.split()):
        try:
            with open("/proc/%d/stat" % pid) as stream:
                if stream.read().rsplit(")", 1)[1].split()[0] != "Z":
                    pids.append(pid)
        except IOError:
            pass
    return pids


def _restart_daemons():
    import subprocess
    from conftest import REPO
    subprocess.run([str(REPO / "scripts" / "start-daemons")], check=True, stdout=subprocess.DEVNULL)


def _stop(pattern):
    import signal
    import time
    for pid in _pids(pattern):
        os.kill(pid, signal.SIGTERM)
    deadline = time.time() + 30
    while _pids(pattern) and time.time() < deadline:
        time.sleep(0.2)
    assert not _pids(pattern), "%s did not stop" % pattern


def test_vbmcd_down_at_the_start_of_a_run_is_named_and_nothing_is_half_done(fault_lab, tmp_path):
    lab_file = write_lab(tmp_path, base_lab())
    _stop("bin/vbmcd")
    try:
        count("faults injected")
        rc, out = run("site.yml", lab_file)
        assert rc != 0 and "vbmcd does not answer on localhost" in out, out[-3000:]
        assert "nothing of lab ifault was changed" in out
        state = lab_state()
        assert state["domains"] == {} and state["images"] == [], state
    finally:
        _restart_daemons()
    _converges(tmp_path, lab_file)
    count("faults survived")


def test_libvirtd_restarted_between_runs_changes_nothing(fault_lab, tmp_path):
    lab_file = write_lab(tmp_path, base_lab())
    _converges(tmp_path, lab_file)
    before = lab_state()
    _stop("^libvirtd")
    _restart_daemons()
    count("faults injected")
    rc, out = run("site.yml", lab_file)
    assert rc == 0 and changed_count(out) == 0, out[-4000:]
    assert lab_state() == before
    count("faults survived")


FULL_DIR = "/var/lib/libvirt/ifault-full"


@pytest.fixture
def small_images_dir(tmp_path):
    """An 8 MiB ext4 file system (user xattrs, unlike tmpfs on this kernel) as images directory."""
    import subprocess
    image = str(tmp_path / "images.ext4")
    subprocess.run(["truncate", "-s", "8M", image], check=True)
    subprocess.run(["mkfs.ext4", "-q", "-F", image], check=True)
    os.makedirs(FULL_DIR, exist_ok=True)
    subprocess.run(["mount", "-o", "loop", image, FULL_DIR], check=True)
    yield FULL_DIR
    subprocess.run(["umount", FULL_DIR], check=True)
    os.rmdir(FULL_DIR)


def test_a_full_images_directory_fails_naming_the_disk_and_converges_once_space_is_freed(
        fault_lab, tmp_path, small_images_dir):
    lab = base_lab()
    lab["libvirt"] = {"images_dir": small_images_dir}
    lab_file = write_lab(tmp_path, lab)
    stat = os.statvfs(small_images_dir)
    filler = os.path.join(small_images_dir, "someone-elses-file")
    with open(filler, "wb") as stream:
        stream.write(b"\0" * (stat.f_bavail * stat.f_frsize - 48 * 1024))
    count("faults injected")
    rc, out = run("site.yml", lab_file)
    assert rc != 0 and "qemu-img could not create %s/ifault_ifault-" % small_images_dir in out, out[-3000:]
    left = sorted(os.listdir(small_images_dir))
    assert not [f for f in left if f.endswith(".labkit-tmp")], left  # no half-made disk stays
    assert lab_state()["domains"] == {}
    os.unlink(filler)
    rc, out = run("site.yml", lab_file)
    assert rc == 0, out[-4000:]
    rc, again = run("site.yml", lab_file)
    assert rc == 0 and changed_count(again) == 0, again[-4000:]
    assert sorted(f for f in os.listdir(small_images_dir) if f != "lost+found") == \
        ["ifault_ifault-%s-vda.qcow2" % n for n in "abc"]
    rc, out = run("playbooks/teardown.yml", lab_file)
    assert rc == 0, out[-4000:]
    assert sorted(os.listdir(small_images_dir)) == ["lost+found"]
    count("faults survived")


def _redfish_status(port, password):
    import base64
    import urllib.error
    import urllib.request
    token = base64.b64encode(("admin:%s" % password).encode()).decode()
    request = urllib.request.Request("http://127.0.0.1:%d/redfish/v1/Systems" % port,
                                     headers={"Authorization": "Basic " + token})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_killed_after_the_redfish_config_is_written_and_before_the_restart(fault_lab, tmp_path):
    lab = base_lab()
    lab["bmc"] = {"type": "redfish", "address": "127.0.0.1", "port": 7431, "password": "first-Secret1"}
    first_file = write_lab(tmp_path, lab, "first.yml")
    # The emulator the first run starts ignores SIGTERM, so the next run's restart waits for it.
    rc, out = run("site.yml", first_file, "-e", "redfish_bmc_command=%s" % (FAKES / "fake-sushy-ignores-term"))
    assert rc == 0, out[-4000:]
    pid_file = "/run/labkit/redfish-ifault.pid"
    old_pid = open(pid_file).read().strip()
    config_dir = "/etc/labkit/ifault/redfish"
    stamp = os.path.join(config_dir, "started-with")
    assert os.path.exists(stamp) and _redfish_status(7431, "first-Secret1") == 200

    lab["bmc"]["password"] = "second-Secret2"
    second_file = write_lab(tmp_path, lab, "second.yml")
    htpasswd_before = open(os.path.join(config_dir, "htpasswd")).read()
    proc = start("site.yml", second_file)
    # The files are written and the stamp removed before the old emulator is asked to stop.
    wait_for(lambda: not os.path.exists(stamp) and open(os.path.join(config_dir, "htpasswd")).read()
             != htpasswd_before, timeout=180, what="the run to write the new Redfish files")
    kill_run(proc)
    count("faults injected")
    assert open(pid_file).read().strip() == old_pid and os.path.exists("/proc/%s" % old_pid), \
        "the old emulator should still run"

    rc, out = run("site.yml", second_file)
    assert rc == 0, out[-4000:]
    # The files are as wanted, only the process is not what it started with; instackenv.json (with
    # the new password) comes later in the run the kill stopped.
    assert changed_tasks(out) == ["labkit.tripleo.redfish_bmc : Serve every overcloud node through the lab's "
                                  "Redfish emulator", "labkit.tripleo.instackenv : Write instackenv.json"], \
        out[-4000:]
    assert re.search(r"\(restarted,\s+run by process\)", out), out[-4000:]
    new_pid = open(pid_file).read().strip()
    assert new_pid != old_pid and not _alive(old_pid)
    assert _redfish_status(7431, "second-Secret2") == 200 and _redfish_status(7431, "first-Secret1") == 401
    rc, again = run("site.yml", second_file)
    assert rc == 0 and changed_count(again) == 0, again[-4000:]
    rc, out = run("playbooks/teardown.yml", second_file)
    assert rc == 0, out[-4000:]
    assert not os.path.exists(pid_file) and not os.path.exists(config_dir) and not _alive(new_pid)
    count("faults survived")


def _alive(pid):
    """Running, not a zombie (PID 1 here may not reap)."""
    try:
        with open("/proc/%s/stat" % pid) as stream:
            return stream.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_teardown_removes_what_a_killed_boot_check_left(fault_lab, tmp_path):
    """A boot check killed mid-way leaves its claim in the lab's record, its namespace with dnsmasq
    and the HTTP server in it (here one sleeping process stands for them) and its work directory:
    teardown removes them. A lab whose record holds no claim is torn down without looking."""
    import subprocess
    namespace = "labkit-bootcheck-ifault"
    work = "/run/labkit/boot-check/ifault"
    lab_file = write_lab(tmp_path, base_lab())
    rc, out = run("site.yml", lab_file)
    assert rc == 0, out[-4000:]
    record_path = os.path.join(RECORDS, "ifault", "state.json")
    with open(record_path) as stream:
        record = json.load(stream)
    assert record["boot_check"] is None, record
    # What the check does before its namespace exists (boot_check.claim_record), then the namespace.
    record["boot_check"] = {"started": "2026-11-23T00:00:00Z", "pid": 1}
    with open(record_path, "w") as stream:
        json.dump(record, stream)
    subprocess.run(["ip", "netns", "add", namespace], check=True)
    responder = subprocess.Popen(["ip", "netns", "exec", namespace, "sleep", "600"], start_new_session=True)
    os.makedirs(work, exist_ok=True)
    count("faults injected")
    try:
        rc, out = run("playbooks/teardown.yml", lab_file)
        assert rc == 0, out[-4000:]
        assert "labkit.tripleo.boot_check : Remove what a killed boot check left" in changed_tasks(out), out[-3000:]
        assert namespace not in subprocess.run(["ip", "netns", "list"], stdout=subprocess.PIPE,
                                               universal_newlines=True, check=False).stdout
        assert responder.wait(timeout=10) == -9, "the process in the namespace should be killed"
        assert not os.path.exists(work)
        count("faults survived")
        # Built again, with no check run: the record claims nothing, and teardown does not look.
        rc, out = run("site.yml", lab_file)
        assert rc == 0, out[-4000:]
        rc, again = run("playbooks/teardown.yml", lab_file)
        assert rc == 0, again[-3000:]
        assert "TASK [labkit.tripleo.boot_check : Remove what a killed boot check left]" not in again, again[-3000:]
    finally:
        if responder.poll() is None:
            responder.kill()
        subprocess.run(["ip", "netns", "delete", namespace], stderr=subprocess.DEVNULL, check=False)
