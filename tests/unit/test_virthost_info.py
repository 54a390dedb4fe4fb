# -*- coding: utf-8 -*-
"""virthost_info: the domain type chosen from CPU flags, /dev/kvm and nesting."""

import pytest

from ansible_collections.labkit.tripleo.plugins.modules import virthost_info


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
    _unused, reason, _unused = virthost_info.choose_domain_type("auto", {"vmx"}, True, False)
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
