# -*- coding: utf-8 -*-
"""lab_tripleo through lab_model.normalize: everything under lab.tripleo."""

import copy

import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils.lab_model import normalize

from lab_description import accepted, assert_error, setp


# ------------------------------------------------------ tripleo section

def test_tripleo_defaults_are_the_reference_undercloud(lab):
    t = accepted(lab)["tripleo"]
    assert t["release"] == "wallaby" and t["introspect"] is True and t["provide"] is True
    u = t["undercloud"]
    assert u["local_ip"] == "192.168.255.1/24" and u["dhcp_start"] == "192.168.255.11"
    assert u["inspection_iprange"] == "192.168.255.51,192.168.255.100" and u["local_mtu"] == 1450
    assert u["scheduler_max_attempts"] == 10
    assert t["deploy"]["stack"] == "overcloud" and t["deploy"]["timeout_minutes"] == 120


def test_scheduler_attempts_default_grows_with_the_nodes(lab):
    lab["nodes"] = [dict(copy.deepcopy(lab["nodes"][1]), name="n%d" % i) for i in range(12)]
    lab["tripleo"] = {"undercloud": {"dhcp_end": "192.168.255.50"}}
    assert accepted(lab)["tripleo"]["undercloud"]["scheduler_max_attempts"] == 12


@pytest.mark.parametrize("dotted, value, path", [
    ("tripleo.release", "rocky", "lab.tripleo.release"),
    ("tripleo.introspect", "yes", "lab.tripleo.introspect"),
    ("tripleo.colour", 1, "lab.tripleo.colour"),
    ("tripleo.undercloud.local_ip", "192.168.255.1", "lab.tripleo.undercloud.local_ip"),
    ("tripleo.undercloud.dhcp_start", "192.168.255.x", "lab.tripleo.undercloud.dhcp_start"),
    ("tripleo.undercloud.inspection_iprange", "192.168.255.51", "lab.tripleo.undercloud.inspection_iprange"),
    ("tripleo.undercloud.undercloud_nameservers", ["8.8.8"], "lab.tripleo.undercloud.undercloud_nameservers[0]"),
    ("tripleo.undercloud.local_mtu", 0, "lab.tripleo.undercloud.local_mtu"),
    ("tripleo.undercloud.masquerade", "true", "lab.tripleo.undercloud.masquerade"),
    ("tripleo.deploy.timeout_minutes", -5, "lab.tripleo.deploy.timeout_minutes"),
    ("tripleo.deploy.libvirt_type", "xen", "lab.tripleo.deploy.libvirt_type"),
    ("tripleo.deploy.environment_files", ["a.yaml", 3], "lab.tripleo.deploy.environment_files[1]"),
])
def test_tripleo_field_errors_name_the_field(lab, dotted, value, path):
    lab["tripleo"] = {"undercloud": {}, "deploy": {}}
    setp(lab, dotted, value)
    assert_error(lab, path)


def test_undercloud_network_rules_apply_in_the_model(lab):
    lab["tripleo"] = {"undercloud": {"inspection_iprange": "192.168.255.40,192.168.255.90"}}
    assert_error(lab, "lab.tripleo.undercloud.inspection_iprange", "overlaps the deploy pool")


def test_host_only_lab_is_not_held_to_the_reference_pools(lab):
    lab["bmc"]["port_start"] = 2000
    lab["nodes"] = [dict(copy.deepcopy(lab["nodes"][1]), name="n%d" % i) for i in range(60)]
    accepted(lab)
    lab["tripleo"] = {}
    assert_error(lab, "lab.tripleo.undercloud.dhcp_start..dhcp_end", "40 addresses for 60 nodes")


def test_tripleo_paths_and_command_prefixes_are_derived_once(lab):
    lab = copy.deepcopy(lab)
    lab["tripleo"] = dict(lab.get("tripleo") or {}, stack_home="/home/stack/", rc_file="/home/stack/my-rc")
    tripleo = normalize(lab)["tripleo"]
    assert tripleo["workdir"] == "/home/stack/labkit-%s" % lab["name"]
    assert tripleo["with_rc"] == ["bash", "-c", '. "$1" && shift && exec "$@"', "_", "/home/stack/my-rc"]
    assert tripleo["overcloud_rc_file"] == "/home/stack/%src" % tripleo["deploy"]["stack"]
