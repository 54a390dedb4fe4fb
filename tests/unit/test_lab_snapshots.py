"""lab_snapshots: names, the mark in a snapshot's description, and what save and revert decide."""
import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import lab_snapshots


class FakeLibvirtFlags(object):
    VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING = 1
    VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED = 2
    VIR_DOMAIN_SNAPSHOT_REVERT_FORCE = 4


@pytest.mark.parametrize("name", ["nightly", "uc-installed_2026.11", "a" * 63])
def test_good_names(name):
    assert lab_snapshots.check_name(name) is None


@pytest.mark.parametrize("name", ["", "-x", "a b", "../x", "x\n", "<x>", "a" * 64, None, 7])
def test_bad_names_are_refused(name):
    assert "is not a snapshot name" in lab_snapshots.check_name(name)


def test_the_mark_round_trips_through_the_snapshot_xml():
    xml = lab_snapshots.snapshot_xml("nightly", "lab1", "i-1", running=True)
    assert "<name>nightly</name>" in xml
    # libvirt gives the XML back with more in it: the mark is read from the description alone.
    returned = xml.replace("</domainsnapshot>", "<state>paused</state><creationTime>1795305600</creationTime>"
                                                "</domainsnapshot>")
    assert lab_snapshots.read_mark(returned) == ("lab1", "i-1", "running")
    assert lab_snapshots.created_at(returned) == 1795305600
    assert lab_snapshots.read_mark(lab_snapshots.snapshot_xml("n", "lab1", "", running=False)) == ("lab1", None, "shutoff")
    assert lab_snapshots.read_mark("<domainsnapshot><name>n</name><description>mine</description></domainsnapshot>") \
        == (None, None, None)


def test_a_foreign_or_other_instance_snapshot_is_foreign():
    params = {"lab": "lab1", "instance": "i-1", "adopt": False}
    assert lab_snapshots.judge(("lab1", "i-1", "running"), params) == "ours"
    assert lab_snapshots.judge((None, None, None), params) == "foreign"
    assert lab_snapshots.judge(("lab1", "i-2", "running"), params) == "foreign"
    assert lab_snapshots.judge(("lab1", "i-2", "running"), dict(params, adopt=True)) != "foreign"


def test_save_is_all_vms_or_nothing():
    mark = ("lab1", "i-1", "shutoff")
    assert lab_snapshots.save_plan({"a": mark, "b": mark}, ["a", "b"]) == {"unchanged": True, "replace": []}
    assert lab_snapshots.save_plan({"a": None, "b": None}, ["a", "b"]) == {"unchanged": False, "replace": []}
    # A save killed half-way: the VM that has it loses it, every VM is taken anew.
    assert lab_snapshots.save_plan({"a": mark, "b": None}, ["a", "b"]) == {"unchanged": False, "replace": ["a"]}


def test_revert_restores_the_saved_power_state():
    flags = FakeLibvirtFlags
    assert lab_snapshots.revert_flags("running", False, flags) == flags.VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING
    assert lab_snapshots.revert_flags("running", True, flags) == flags.VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING
    assert lab_snapshots.revert_flags("shutoff", True, flags) == flags.VIR_DOMAIN_SNAPSHOT_REVERT_FORCE
    assert lab_snapshots.revert_flags("shutoff", False, flags) == 0


def test_listing_groups_by_name_with_the_earliest_time():
    rows = [("a", "nightly", 20), ("b", "nightly", 10), ("a", "other", None)]
    assert lab_snapshots.listing(rows) == {"nightly": {"vms": ["a", "b"], "created": 10},
                                           "other": {"vms": ["a"], "created": None}}
