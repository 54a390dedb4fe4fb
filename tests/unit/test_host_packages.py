# -*- coding: utf-8 -*-
"""host_packages: reading what is installed (dpkg-query's output as Debian 12's prints it, rpm's
as its manual gives it; the real dpkg-query runs in test_virthost_info.py) and a virtualenv's
version from its dist-info directory."""
from ansible_collections.labkit.tripleo.plugins.module_utils import host_packages

TOOLS = {"dpkg-query": "/usr/bin/dpkg-query", "rpm": None}


def test_the_query_is_one_process_for_the_first_tool_the_host_has():
    assert host_packages.query_command(TOOLS, ["a", "b"]) == [
        "/usr/bin/dpkg-query", "-W", "-f", "${Package}\t${db:Status-Status}\n", "a", "b"]
    assert host_packages.query_command({"rpm": "/usr/bin/rpm"}, ["a"])[:3] == ["/usr/bin/rpm", "-q", "--whatprovides"]
    assert host_packages.query_command({}, ["a"]) is None


def test_dpkg_query_lists_unknown_and_removed_packages_as_missing():
    out = "ipmitool\tinstalled\nqemu-utils\tconfig-files\nlibvirt0:amd64\tinstalled\n"
    names = ["ipmitool", "qemu-utils", "libvirt0", "xorriso"]
    assert host_packages.missing_packages("dpkg-query", names, 1, out) == ["qemu-utils", "xorriso"]
    assert host_packages.missing_packages("dpkg-query", ["ipmitool"], 0, "ipmitool\tinstalled\n") == []


def test_rpm_names_what_no_package_provides():
    out = "ipmitool\nno package provides xorriso\n"
    assert host_packages.missing_packages("rpm", ["ipmitool", "xorriso"], 1, out) == ["xorriso"]
    assert host_packages.missing_packages("rpm", ["ipmitool"], 0, "ipmitool\n") == []
    # An answer that cannot be read leaves the decision to the package manager.
    assert host_packages.missing_packages("rpm", ["a", "b"], 2, "error: rpmdb open failed\n") == ["a", "b"]


def test_a_venv_version_is_read_from_its_dist_info(tmp_path):
    site = tmp_path / "lib" / "python3.11" / "site-packages"
    (site / "sushy_tools-2.2.0.dist-info").mkdir(parents=True)
    (site / "virtualbmc-3.3.0.dist-info").mkdir()
    (tmp_path / "bin").mkdir()
    assert host_packages.venv_version(str(tmp_path), "sushy-tools") is None  # no interpreter: broken venv
    (tmp_path / "bin" / "python3").write_text("")
    assert host_packages.venv_version(str(tmp_path), "sushy-tools") == "2.2.0"
    assert host_packages.venv_current(str(tmp_path), "virtualbmc==3.3.0")
    assert not host_packages.venv_current(str(tmp_path), "virtualbmc==3.4.0")
    assert not host_packages.venv_current(str(tmp_path), "virtualbmc")
    assert not host_packages.venv_current(str(tmp_path / "absent"), "virtualbmc==3.3.0")


def test_the_os_family_is_named_as_ansible_names_it():
    assert host_packages.os_family('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n') == "Debian"
    assert host_packages.os_family('ID=ubuntu\nID_LIKE=debian\n') == "Debian"
    assert host_packages.os_family('ID="centos"\nID_LIKE="rhel fedora"\n') == "RedHat"
    assert host_packages.os_family('ID="almalinux"\nID_LIKE="rhel centos fedora"\n') == "RedHat"
    assert host_packages.os_family('ID=arch\n') == "Arch"
    assert host_packages.os_family('') == "Unknown"
