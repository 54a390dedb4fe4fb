"""Runs killed with SIGKILL at the worst moments, and runs that overlap."""
import os

from conftest import (FAKES, IMAGES, RECORDS, assert_no_duplicate_mac, base_lab, changed_count, count, kill_run,
                      lab_state, run, start, wait_for, write_lab)


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
