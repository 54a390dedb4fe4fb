# -*- coding: utf-8 -*-
"""virthost_info: the domain type chosen from CPU flags, /dev/kvm and nesting; which packages
are missing (the real dpkg-query) and which virtualenvs hold their pin."""

import shutil

import pytest

from ansible_collections.labkit.tripleo.plugins.modules import virthost_info

from module_harness import run_main


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


@pytest.mark.skipif(not shutil.which("dpkg-query"), reason="the real dpkg-query of a Debian host")
def test_main_names_the_packages_not_installed_and_the_venvs_that_hold_their_pin(monkeypatch, tmp_path):
    site = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    (site / "virtualbmc-3.3.0.dist-info").mkdir(parents=True)
    (tmp_path / "venv" / "bin").mkdir()
    (tmp_path / "venv" / "bin" / "python3").write_text("")
    venv = str(tmp_path / "venv")
    kind, result, _warnings = run_main(monkeypatch, virthost_info, {
        "packages": {"Debian": ["dpkg", "labkit-no-such-package"], "RedHat": ["rpm"]},
        "venvs": [{"path": venv, "requirement": "virtualbmc==3.3.0"},
                  {"path": str(tmp_path / "other"), "requirement": "sushy-tools==2.2.0"}]})
    assert kind == "exit" and result["changed"] is False
    assert result["os_family"] == "Debian" and result["python"]
    assert result["packages_wanted"][:2] == ["dpkg", "labkit-no-such-package"]
    assert result["packages_missing"] == ["labkit-no-such-package"]
    assert result["venvs_current"] == [venv]
    assert result["vbmcd"] is None  # not asked about


def test_main_reads_vbmcd_when_asked(monkeypatch, tmp_path):
    seen = []
    monkeypatch.setattr(virthost_info.vbmc, "vbmcd_state",
                        lambda venv, unit_dir: seen.append((venv, unit_dir)) or {"listening": True, "unit_current": False})
    kind, result, _warnings = run_main(monkeypatch, virthost_info, {"vbmcd": {"venv": str(tmp_path)}})
    assert kind == "exit" and result["vbmcd"] == {"listening": True, "unit_current": False}
    assert seen == [(str(tmp_path), "/etc/systemd/system")]
