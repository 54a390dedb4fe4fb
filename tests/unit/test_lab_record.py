"""The lab record: places the lab used before are remembered as stale until cleaned; the record
written atomically and privately (the lock beside it is tested in test_lab_lock.py)."""
import os

import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import lab_record

PLACES = {"network": "net-a", "bridge": "br-a", "images_dir": "/var/lib/libvirt/images"}


def test_first_run_has_no_stale_place():
    record, changed = lab_record.updated_record(None, "lab", {}, PLACES)
    assert changed and "stale_places" not in record


def test_a_renamed_place_is_stale_until_cleaned():
    record, _unused = lab_record.updated_record(None, "lab", {}, PLACES)
    renamed, changed = lab_record.updated_record(record, "lab", {}, dict(PLACES, network="net-b"))
    assert changed and renamed["stale_places"] == {"network": ["net-a"]}
    # A second rename keeps the first old name until it is cleaned.
    again, _unused = lab_record.updated_record(renamed, "lab", {}, dict(PLACES, network="net-c"))
    assert again["stale_places"] == {"network": ["net-a", "net-b"]}
    cleaned, changed = lab_record.forget_stale(again, {"network": ["net-a", "net-b"]})
    assert changed and "stale_places" not in cleaned
    assert lab_record.forget_stale(cleaned, {"network": ["net-a"]}) == (cleaned, False)


def test_a_place_renamed_back_is_current_not_stale():
    record, _unused = lab_record.updated_record(None, "lab", {}, PLACES)
    renamed, _unused = lab_record.updated_record(record, "lab", {}, dict(PLACES, bridge="br-b"))
    back, _unused = lab_record.updated_record(renamed, "lab", {}, PLACES)
    assert back["stale_places"] == {"bridge": ["br-b"]}


def test_an_unchanged_run_changes_nothing_and_cleaning_keeps_other_keys():
    record, _unused = lab_record.updated_record(None, "lab", {"n": 7001}, PLACES)
    assert lab_record.updated_record(record, "lab", {"n": 7001}, PLACES) == (record, False)
    two, _unused = lab_record.updated_record(record, "lab", {}, dict(PLACES, bridge="br-b", images_dir="/srv/images"))
    left, _unused = lab_record.forget_stale(two, {"bridge": ["br-a"]})
    assert left["stale_places"] == {"images_dir": ["/var/lib/libvirt/images"]}


def test_a_changed_bmc_type_is_stale_and_an_older_record_may_hold_either_type():
    record, _unused = lab_record.updated_record(None, "lab", {}, dict(PLACES, bmc_type="ipmi"))
    assert "stale_places" not in record
    assert lab_record.updated_record(record, "lab", {}, dict(PLACES, bmc_type="ipmi")) == (record, False)
    switched, _unused = lab_record.updated_record(record, "lab", {}, dict(PLACES, bmc_type="redfish"))
    assert switched["stale_places"] == {"bmc_type": ["ipmi"]}
    # Written before the type was recorded: the other type is stale once, until cleaned.
    older, _unused = lab_record.updated_record(None, "lab", {}, PLACES)
    upgraded, _unused = lab_record.updated_record(older, "lab", {}, dict(PLACES, bmc_type="redfish"))
    assert upgraded["stale_places"] == {"bmc_type": ["ipmi"]}
    cleaned, _unused = lab_record.forget_stale(upgraded, {"bmc_type": ["ipmi"]})
    assert lab_record.updated_record(cleaned, "lab", {}, dict(PLACES, bmc_type="redfish")) == (cleaned, False)


def test_a_lab_of_the_same_name_built_elsewhere_is_another_instance():
    record = lab_record.new_record("lab", "alice@ctl-a")
    # The controller that built it, fresh checkout or not, may go on.
    assert lab_record.instance_conflict(record, record["instance"], "alice@ctl-a") is None
    assert lab_record.instance_conflict(record, "", "alice@ctl-a") is None
    # Another controller that never built it, or one that knows another instance, may not.
    why = lab_record.instance_conflict(record, "", "bob@ctl-b")
    assert "built by alice@ctl-a" in why and record["instance"] in why and "bob@ctl-b" in why
    why = lab_record.instance_conflict(record, "0000-other", "alice@ctl-a")
    assert "not instance 0000-other" in why
    # No record: nothing to conflict with. A record from before controllers were kept: only ids count.
    assert lab_record.instance_conflict(None, "x", "bob@ctl-b") is None
    old = dict(record, controller=None)
    assert lab_record.instance_conflict(old, "", "bob@ctl-b") is None


def test_the_record_is_written_atomically_and_privately(tmp_path):
    directory = str(tmp_path / "lab")
    lab_record.ensure_dir(directory)
    assert os.stat(directory).st_mode & 0o777 == 0o700
    path = lab_record.record_path(str(tmp_path), "lab")
    assert path == os.path.join(directory, lab_record.RECORD_FILE) and lab_record.read_json(path) is None
    lab_record.write_json_atomic(path, {"b": 1, "a": [2]})
    assert os.stat(path).st_mode & 0o777 == 0o600 and lab_record.read_json(path) == {"a": [2], "b": 1}
    assert open(path).read() == '{\n  "a": [\n    2\n  ],\n  "b": 1\n}\n'
    assert os.listdir(directory) == [lab_record.RECORD_FILE]


def test_a_record_that_is_not_an_object_is_refused(tmp_path):
    path = tmp_path / "state.json"
    path.write_text("[1, 2]")
    with pytest.raises(ValueError):
        lab_record.read_json(str(path))


def test_temporary_files_of_a_killed_run_are_removed(tmp_path):
    for name in (".state.json.abc.tmp", "state.json", ".hidden", "x.tmp"):
        (tmp_path / name).write_text("")
    assert lab_record.remove_stale_temporaries(str(tmp_path)) == [".state.json.abc.tmp"]
    assert sorted(os.listdir(str(tmp_path))) == [".hidden", "state.json", "x.tmp"]
    assert lab_record.remove_stale_temporaries(str(tmp_path / "missing")) == []


def test_one_key_of_the_record_is_set_only_when_it_changes(tmp_path):
    with pytest.raises(ValueError):
        lab_record.set_record_key(str(tmp_path), "lab", "firewall", [])
    lab_record.ensure_dir(str(tmp_path / "lab"))
    path = lab_record.record_path(str(tmp_path), "lab")
    lab_record.write_json_atomic(path, {"instance": "i-1"})
    lab_record.set_record_key(str(tmp_path), "lab", "firewall", ["rule"])
    assert lab_record.read_json(path) == {"instance": "i-1", "firewall": ["rule"]}
    before = os.stat(path).st_ino
    lab_record.set_record_key(str(tmp_path), "lab", "firewall", ["rule"])
    assert os.stat(path).st_ino == before


def test_secrets_never_reach_the_record():
    description = {"name": "lab", "bmc": {"password": "x", "Admin_Password": "y", "port": 1},
                   "nodes": [{"password": "z"}]}
    assert lab_record.without_secrets(description) == {"name": "lab", "bmc": {"port": 1}, "nodes": [{}]}


def test_a_boot_check_may_have_left_something_only_while_its_claim_is_in_the_record():
    record = lab_record.new_record("lab")
    assert record[lab_record.BOOT_CHECK_KEY] is None and not lab_record.boot_check_left(record)
    assert lab_record.boot_check_left(dict(record, boot_check={"started": "2026-11-23T00:00:00Z", "pid": 1}))
    # No record, or one from before checks claimed it: nothing says, so teardown looks.
    assert lab_record.boot_check_left(None)
    older = dict(record)
    del older[lab_record.BOOT_CHECK_KEY]
    assert lab_record.boot_check_left(older)
    # A run keeps the claim as it is: only the check gives it back.
    claimed = dict(record, boot_check={"started": "2026-11-23T00:00:00Z", "pid": 1})
    new, _changed = lab_record.updated_record(claimed, "lab", {}, PLACES)
    assert lab_record.boot_check_left(new)
