# -*- coding: utf-8 -*-
"""baremetal_cli: reading the baremetal CLI's output (nodes, capabilities, states, inspection)."""
import json

from ansible_collections.labkit.tripleo.plugins.module_utils import baremetal_cli


def test_node_rows_read_snake_case_output():
    out = json.dumps([{"name": "n1", "uuid": "u1", "provision_state": "available", "power_state": "power off",
                       "last_error": None, "properties": {"capabilities": "profile:control,boot_option:local"}}])
    assert baremetal_cli.node_rows(out) == {"n1": {"uuid": "u1", "provision_state": "available",
                                                   "power_state": "power off", "last_error": None,
                                                   "capabilities": "profile:control,boot_option:local",
                                                   "inspected": False, "instance_uuid": None,
                                                   "driver": None, "driver_info": {}, "extra": {},
                                                   "properties": {"cpus": None, "memory_mb": None,
                                                                  "local_gb": None}}}


def test_node_rows_read_titled_output_with_properties_as_text():
    out = json.dumps([{"Name": "n1", "UUID": "u1", "Provisioning State": "manageable", "Power State": "power on",
                       "Last Error": "boom", "Properties": json.dumps({"capabilities": "profile:compute"})}])
    row = baremetal_cli.node_rows(out)["n1"]
    assert (row["provision_state"], row["power_state"], row["last_error"]) == ("manageable", "power on", "boom")
    assert row["capabilities"] == "profile:compute"


def test_wanted_capabilities_keep_what_introspection_added():
    assert baremetal_cli.wanted_capabilities("cpu_vt:true,profile:compute,cpu_aes:true", "control") == \
        "profile:control,boot_option:local,boot_mode:bios,cpu_aes:true,cpu_vt:true"
    assert baremetal_cli.wanted_capabilities("", "ceph-storage") == "profile:ceph-storage,boot_option:local,boot_mode:bios"


def test_check_states_names_each_problem_node():
    nodes = {"a": {"provision_state": "available", "last_error": None},
             "b": {"provision_state": "enroll", "last_error": "IPMI call failed: power status"}}
    problems = baremetal_cli.check_states(nodes, ["a", "b", "c"], "available")
    assert [(p["name"], p["state"]) for p in problems] == [("b", "enroll"), ("c", "missing")]
    assert problems[0]["error"] == "IPMI call failed: power status"


def test_node_rows_read_inspection_and_sizes():
    out = json.dumps([{"name": "n1", "uuid": "u1", "provision_state": "manageable", "power_state": "power off",
                       "last_error": None, "inspection_finished_at": "2026-11-22T00:10:00+00:00",
                       "properties": {"cpus": "2", "memory_mb": "1024", "local_gb": "5", "cpu_arch": "x86_64"}},
                      {"Name": "n2", "Inspection Finished At": None, "Properties": {}}])
    rows = baremetal_cli.node_rows(out)
    assert rows["n1"]["inspected"] is True and rows["n2"]["inspected"] is False
    assert rows["n1"]["properties"] == {"cpus": "2", "memory_mb": "1024", "local_gb": "5"}


def test_inspection_mismatches_name_node_and_field():
    nodes = {"n1": {"properties": {"cpus": "2", "memory_mb": "1024", "local_gb": "5"}},
             "n2": {"properties": {"cpus": "1", "memory_mb": "512", "local_gb": "9"}},
             "n3": {"properties": {}}}
    expected = [{"name": n, "vcpus": 2, "memory_mb": 1024, "disk_gb": 6} for n in ("n1", "n2", "n3")]
    problems = baremetal_cli.inspection_mismatches(nodes, expected)
    assert problems == [
        "n2: inspected 1 CPUs, the lab gives it 2",
        "n2: inspected 512 MiB of memory, the lab gives it 1024",
        "n2: inspected a 9 GiB root disk, the lab gives it 6",
        "n3: inspected None CPUs, the lab gives it 2",
        "n3: inspected None MiB of memory, the lab gives it 1024",
        "n3: inspected a None GiB root disk, the lab gives it 6",
    ]
    # Ironic keeps a GiB of the root disk for partitioning: 5 or 6 both match a 6 GiB disk.
    assert baremetal_cli.inspection_mismatches({"n1": {"properties": {"cpus": 2, "memory_mb": 1000,
                                                                      "local_gb": 6}}}, expected[:1]) == []
