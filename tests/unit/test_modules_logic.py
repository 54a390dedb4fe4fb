# -*- coding: utf-8 -*-
"""Pure helpers of the modules: virthost_info, qcow2_disks, vbmc."""

import errno
import json
import os
import struct

import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import file_owner
from ansible_collections.labkit.tripleo.plugins.modules import qcow2_disks, vbmc, virthost_info

GIB = 1024 ** 3


# ------------------------------------------------------------ virthost_info

def test_vmx_with_dev_kvm_is_kvm():
    domain_type, reason, hardware = virthost_info.choose_domain_type("auto", {"fpu", "vmx", "sse2"}, True, True)
    assert (domain_type, hardware) == ("kvm", True)
    assert "vmx" in reason and "/dev/kvm" in reason
    assert "nested" not in reason


def test_svm_with_dev_kvm_is_kvm_and_names_svm():
    domain_type, reason, hardware = virthost_info.choose_domain_type("auto", {"svm"}, True, None)
    assert (domain_type, hardware) == ("kvm", True)
    assert "svm" in reason and "vmx" not in reason


def test_nested_off_is_mentioned():
    _, reason, _ = virthost_info.choose_domain_type("auto", {"vmx"}, True, False)
    assert "nested virtualisation is off" in reason


def test_no_flags_with_dev_kvm_is_qemu():
    domain_type, reason, hardware = virthost_info.choose_domain_type("auto", {"fpu", "sse2"}, True, None)
    assert (domain_type, hardware) == ("qemu", False)
    assert "vmx/svm" in reason and "/dev/kvm exists" in reason


def test_flags_without_dev_kvm_is_qemu():
    domain_type, reason, hardware = virthost_info.choose_domain_type("auto", {"vmx"}, False, None)
    assert (domain_type, hardware) == ("qemu", False)


def test_nothing_is_qemu_tcg():
    domain_type, reason, hardware = virthost_info.choose_domain_type("auto", set(), False, None)
    assert (domain_type, hardware) == ("qemu", False)
    assert "TCG" in reason


@pytest.mark.parametrize("requested", ["qemu", "kvm"])
@pytest.mark.parametrize("flags, dev_kvm, hardware", [({"vmx"}, True, True), (set(), False, False),
                                                      (set(), True, False)])
def test_requested_type_is_honoured(requested, flags, dev_kvm, hardware):
    domain_type, reason, hw = virthost_info.choose_domain_type(requested, flags, dev_kvm, None)
    assert domain_type == requested
    assert hw is hardware
    assert reason == "requested in lab.libvirt.domain_type"


CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) CPU
flags\t\t: fpu vme de pse tsc msr vmx ept sse2
bugs\t\t: spectre_v1

processor\t: 1
vendor_id\t: GenuineIntel
flags\t\t: fpu vme de pse tsc msr vmx ept sse2
"""


def test_cpu_flags_from_file(tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_text(CPUINFO)
    flags = virthost_info.cpu_flags(str(path))
    assert flags == {"fpu", "vme", "de", "pse", "tsc", "msr", "vmx", "ept", "sse2"}
    assert virthost_info.choose_domain_type("auto", flags, True, None)[0] == "kvm"


def test_cpu_flags_without_flags_line_or_file(tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_text("processor\t: 0\nvendor_id\t: ARM\nFeatures\t: fp asimd\n")
    assert virthost_info.cpu_flags(str(path)) == set()
    assert virthost_info.cpu_flags(str(tmp_path / "missing")) == set()


# -------------------------------------------------------------- qcow2_disks

def qcow2_header(size, version=3):
    # magic, version, backing_file_offset(8), backing_file_size(4), cluster_bits(4), size(8)
    return b"QFI\xfb" + struct.pack(">IQII", version, 0, 0, 16) + struct.pack(">Q", size)


def test_qcow2_header_layout():
    header = qcow2_header(60 * GIB)
    assert len(header) == 32 and header[24:32] == struct.pack(">Q", 60 * GIB)


@pytest.mark.parametrize("size", [60 * GIB, 1, 2 ** 63])
def test_qcow2_virtual_size(tmp_path, size):
    path = tmp_path / "disk.qcow2"
    path.write_bytes(qcow2_header(size) + b"\0" * 4096)
    assert qcow2_disks.qcow2_virtual_size(str(path)) == size


@pytest.mark.parametrize("content", [
    b"\0" * 4096,                                   # raw image
    b"QFI\xfa" + b"\0" * 60,                         # wrong magic
    qcow2_header(10 * GIB)[:31],                     # truncated header
    b"",
])
def test_qcow2_virtual_size_not_qcow2(tmp_path, content):
    path = tmp_path / "disk.img"
    path.write_bytes(content)
    assert qcow2_disks.qcow2_virtual_size(str(path)) is None


def _setxattr_or_skip(path, value):
    try:
        os.setxattr(str(path), file_owner.OWNER_XATTR, value)
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, errno.EPERM, getattr(errno, "EOPNOTSUPP", errno.ENOTSUP)):
            pytest.skip("file system of %s lacks user extended attributes" % path)
        raise


def test_disk_owner(tmp_path):
    path = tmp_path / "mylab-control-1-vda.qcow2"
    path.write_bytes(qcow2_header(GIB))
    _setxattr_or_skip(path, b"mylab")
    assert file_owner.owner(str(path)) == "mylab"


def test_disk_owner_unmarked_file(tmp_path):
    marked = tmp_path / "marked.qcow2"
    marked.write_bytes(b"")
    _setxattr_or_skip(marked, b"otherlab")  # proves xattrs work here, so None means "no mark"
    path = tmp_path / "foreign.qcow2"
    path.write_bytes(b"")
    assert file_owner.owner(str(path)) is None


def test_disk_owner_missing_file_raises(tmp_path):
    with pytest.raises(OSError):
        file_owner.owner(str(tmp_path / "missing"))


# --------------------------------------------------------------------- vbmc

SECRET = "Sup3rS3cret-pw"
WANTED = {"address": "127.0.0.1", "port": "7001", "username": "admin", "password": SECRET,
          "libvirt_uri": "qemu:///system"}


def test_drifted_nothing_when_equal():
    assert vbmc.drifted(dict(WANTED, domain_name="control-1", active="True"), WANTED) == []


def test_drifted_returns_names_only():
    config = dict(WANTED, password="old-password", port="7002", address="::")
    changes = vbmc.drifted(config, WANTED)
    assert changes == ["address", "password", "port"]
    text = repr(changes)
    for value in (SECRET, "old-password", "7002", "7001", "::", "127.0.0.1"):
        assert value not in text


def test_drifted_missing_config_is_everything():
    assert vbmc.drifted({}, WANTED) == ["address", "libvirt_uri", "password", "port", "username"]


def test_wanted_settings_matches_vbmc_config_file(tmp_path):
    """A config file as vbmc writes it is not drift for the same settings."""
    (tmp_path / "control-1").mkdir()
    (tmp_path / "control-1" / "config").write_text(
        "[VirtualBMC]\nusername = admin\npassword = %s\naddress = 127.0.0.1\nport = 7001\n"
        "domain_name = control-1\nlibvirt_uri = qemu:///system\nactive = True\n" % SECRET)
    params = {"address": "127.0.0.1", "username": "admin", "password": SECRET, "libvirt_uri": "qemu:///system"}
    config = vbmc.read_config(str(tmp_path), "control-1")
    assert vbmc.drifted(config, vbmc.wanted_settings(params, {"name": "control-1", "port": 7001})) == []
    assert vbmc.drifted(config, vbmc.wanted_settings(params, {"name": "control-1", "port": 7002})) == ["port"]
    assert vbmc.read_config(str(tmp_path), "missing") == {}


# ------------------------------------------------------------ vbmc planning

def _vbmc_params(**over):
    params = {"bmcs": [{"name": "a", "port": 7001}, {"name": "b", "port": 7002}], "address": "127.0.0.1",
              "username": "admin", "password": "s3cret", "libvirt_uri": "qemu:///system"}
    params.update(over)
    return params


def _row(address, port, status="running"):
    return {"Address": address, "Port": port, "Status": status}


def test_vbmc_endpoint_clash_with_a_foreign_bmc_on_the_same_port():
    clashes = vbmc.endpoint_clashes({"other": _row("127.0.0.1", 7002)}, _vbmc_params()["bmcs"], "127.0.0.1")
    assert len(clashes) == 1 and "wanted by b" in clashes[0] and "BMC other" in clashes[0]


def test_vbmc_endpoint_clash_with_a_wildcard_bound_bmc():
    assert vbmc.endpoint_clashes({"other": _row("::", 7001)}, _vbmc_params()["bmcs"], "127.0.0.1")


def test_vbmc_no_clash_on_other_ports_or_with_its_own_bmcs():
    current = {"a": _row("127.0.0.1", 7002), "other": _row("127.0.0.1", 7009)}
    assert vbmc.endpoint_clashes(current, _vbmc_params()["bmcs"], "127.0.0.1") == []


def _config(params, bmc):
    return dict(vbmc.wanted_settings(params, bmc))


def test_vbmc_plan_unchanged_started_added_replaced():
    params = _vbmc_params(bmcs=[{"name": n, "port": p} for n, p in
                                (("same", 7001), ("down", 7002), ("new", 7003), ("moved", 7004))])
    configs = {"same": _config(params, {"port": 7001}), "down": _config(params, {"port": 7002}),
               "moved": _config(params, {"port": 7999})}
    current = {"same": _row("127.0.0.1", 7001), "down": _row("127.0.0.1", 7002, "down"),
               "moved": _row("127.0.0.1", 7999)}
    actions = {r["name"]: r["action"] for r in vbmc.plan(current, configs.get, params)}
    assert actions == {"same": "unchanged", "down": "started", "new": "added", "moved": "replaced"}


def test_vbmc_plan_a_changed_password_replaces_without_revealing_it():
    params = _vbmc_params()
    old = dict(_config(params, {"port": 7001}), password="old-secret")
    current = {"a": _row("127.0.0.1", 7001), "b": _row("127.0.0.1", 7002)}
    results = vbmc.plan(current, {"a": old, "b": _config(params, {"port": 7002})}.get, params)
    assert results[0]["action"] == "replaced" and results[0]["changed_settings"] == ["password"]
    assert "old-secret" not in repr(results) and "s3cret" not in repr(results)


def test_vbmc_plan_swapped_ports_replace_both():
    params = _vbmc_params(bmcs=[{"name": "a", "port": 7002}, {"name": "b", "port": 7001}])
    configs = {"a": _config(params, {"port": 7001}), "b": _config(params, {"port": 7002})}
    current = {"a": _row("127.0.0.1", 7001), "b": _row("127.0.0.1", 7002)}
    assert vbmc.endpoint_clashes(current, params["bmcs"], "127.0.0.1") == []
    assert [r["action"] for r in vbmc.plan(current, configs.get, params)] == ["replaced", "replaced"]


def test_vbmc_classify_ours_to_mark_foreign_and_unwanted():
    names = ["mine", "old", "legacy", "unstamped", "twin", "stranger", "gone"]
    current = dict((n, _row("127.0.0.1", 7000 + i)) for i, n in enumerate(names))
    marks = {"mine": ("lab", "i-1"), "old": ("lab", "i-1"), "legacy": (None, None), "unstamped": ("lab", None),
             "twin": ("lab", "i-2"), "stranger": ("other", "i-1"), "gone": (None, None)}
    params = {"lab": "lab", "instance": "i-1", "adopt": False}
    ours, to_mark, foreign, unwanted = vbmc.classify(
        current, {"mine", "legacy", "unstamped", "twin", "stranger"}, marks, params, {"legacy"})
    assert ours == {"mine", "old"}
    # Unmarked but driving the lab's domain (0.1), or the lab's name without an instance: the lab's.
    assert to_mark == {"legacy", "unstamped"}
    # The same lab name with another instance is another lab.
    assert foreign == ["stranger (owner: lab other, instance i-1)", "twin (owner: lab lab, instance i-2)"]
    # 'gone' has no mark and drives no domain of the lab: someone else's, never deleted.
    assert unwanted == ["old"]


def test_vbmc_classify_adopt_takes_over_another_instance():
    marks = {"twin": ("lab", "i-2"), "stranger": ("other", "i-2")}
    current = {"twin": _row("127.0.0.1", 7001), "stranger": _row("127.0.0.1", 7002)}
    _, to_mark, foreign, _ = vbmc.classify(current, {"twin", "stranger"}, marks,
                                           {"lab": "lab", "instance": "i-1", "adopt": True}, set())
    assert to_mark == {"twin"} and foreign == ["stranger (owner: lab other, instance i-2)"]


def test_vbmc_a_foreign_unmarked_bmc_named_like_a_node_is_refused():
    _, _, foreign, _ = vbmc.classify({"node": _row("127.0.0.1", 7001)}, {"node"}, {"node": (None, None)},
                                     {"lab": "lab", "instance": "i-1", "adopt": False}, set())
    assert foreign == ["node (owner: none; its domain is not this lab's)"]


def test_vbmc_mark_and_permissions(tmp_path):
    (tmp_path / "n1").mkdir(mode=0o755)
    (tmp_path / "n1" / "config").write_text("[VirtualBMC]\n")
    os.chmod(str(tmp_path / "n1" / "config"), 0o644)
    assert vbmc.owner_of_bmc(str(tmp_path), "n1") is None
    vbmc.mark_bmc(str(tmp_path), "n1", "mylab")
    assert vbmc.mark_of_bmc(str(tmp_path), "n1") == ("mylab", None)
    vbmc.mark_bmc(str(tmp_path), "n1", "mylab", "i-1")
    assert vbmc.mark_of_bmc(str(tmp_path), "n1") == ("mylab", "i-1")
    assert vbmc.owner_of_bmc(str(tmp_path), "n1") == "mylab"
    assert vbmc.make_private(str(tmp_path), "n1") is True
    assert os.stat(str(tmp_path / "n1" / "config")).st_mode & 0o777 == 0o600
    assert os.stat(str(tmp_path / "n1")).st_mode & 0o777 == 0o700
    assert vbmc.make_private(str(tmp_path), "n1") is False


# ------------------------------------------------------------ baremetal CLI output

from ansible_collections.labkit.tripleo.plugins.module_utils import baremetal_cli  # noqa: E402


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
