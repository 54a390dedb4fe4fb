"""The one rule every ownership mark is read by, and each kind of mark written and read with it."""
import copy
import os
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import file_owner, ovs, ownership
from ansible_collections.labkit.tripleo.plugins.module_utils import libvirt_domain_xml as dx
from ansible_collections.labkit.tripleo.plugins.module_utils import libvirt_xml as lx

from test_ovs import DESIRED, built_state


@pytest.mark.parametrize("found_lab, found_instance, instance, adopt, verdict", [
    ("lab", "i-1", "i-1", False, ownership.OURS),
    ("lab", "i-2", "i-1", False, ownership.FOREIGN),   # another lab of the same name
    ("lab", "i-2", "i-1", True, ownership.TO_STAMP),   # taken over
    ("lab", None, "i-1", False, ownership.TO_STAMP),   # made before marks held an instance
    ("lab", "i-2", "", False, ownership.OURS),         # no instance to compare: the name decides
    ("other", "i-1", "i-1", False, ownership.FOREIGN),
    ("other", None, "i-1", True, ownership.FOREIGN),   # adopt never takes another lab's objects
    (None, None, "i-1", True, ownership.FOREIGN),
    ("", None, "", False, ownership.FOREIGN),
])
def test_judge(found_lab, found_instance, instance, adopt, verdict):
    assert ownership.judge(found_lab, found_instance, "lab", instance, adopt) == verdict
    assert ownership.is_ours(found_lab, found_instance, "lab", instance, adopt) == (verdict != ownership.FOREIGN)


def test_verdict_judges_a_mark_for_a_modules_owner_arguments():
    params = {"lab": "lab", "instance": "i-1", "adopt": False}
    assert ownership.verdict(("lab", "i-1"), params) == ownership.OURS
    assert ownership.verdict(("lab", None), params) == ownership.TO_STAMP
    assert ownership.verdict(("lab", "i-2"), params) == ownership.FOREIGN
    assert ownership.verdict(("lab", "i-2"), dict(params, adopt=True)) == ownership.TO_STAMP
    assert ownership.verdict((None, None), params) == ownership.FOREIGN


def test_describe_and_remedy():
    assert ownership.describe(None, None) == "none"
    assert ownership.describe("lab", None) == "lab lab"
    assert ownership.describe("lab", "i-2") == "lab lab, instance i-2"
    assert "lab_adopt=true" in ownership.remedy(["other", "lab"], "lab", "rename")
    assert ownership.remedy(["other", None], "lab", "rename") == "rename"
    assert ownership.remedy(["other"], "lab") is None


# ------------------------------------------------------------ libvirt metadata

def test_domain_and_network_marks_carry_the_instance(model):
    vm = model["nodes"][0]
    assert lx.mark_of(dx.domain_xml("mylab", vm, "qemu", "net", instance="i-1")) == ("mylab", "i-1")
    assert lx.mark_of(dx.domain_xml("mylab", vm, "qemu", "net")) == ("mylab", None)
    net = model["network"]
    assert lx.mark_of(lx.network_xml("mylab", net["name"], net["bridge"], net["portgroups"], instance="i-1")) \
        == ("mylab", "i-1")
    assert lx.mark_of("<network><name>default</name></network>") == (None, None)


def test_with_mark_changes_only_the_mark(model):
    vm = model["nodes"][0]
    old = dx.domain_xml("mylab", vm, "qemu", "net")
    new = lx.with_mark(old, "mylab", "i-1")
    assert lx.mark_of(new) == ("mylab", "i-1")
    before, after = dx.parse_domain(old), dx.parse_domain(new)
    assert dict(before, owner_instance="i-1") == after
    # The role attribute and everything else in the metadata stay.
    owner = ET.fromstring(new).find("metadata/" + lx.OWNER_TAG)
    assert owner.get("role") == "node"
    # A definition without metadata gets one.
    assert lx.mark_of(lx.with_mark("<network><name>n</name></network>", "mylab", "i-1")) == ("mylab", "i-1")


# ------------------------------------------------------------ Open vSwitch external_ids

def _with_ids(state, **ids):
    state = copy.deepcopy(state)
    for row in list(state["bridges"].values()) + list(state["ports"].values()):
        row["external_ids"].update(ids)
    return state


def test_ovs_new_bridge_and_ports_carry_the_instance():
    commands = ovs.plan({"bridges": {}, "ports": {}}, dict(DESIRED, instance="i-1"))
    marks = [c for c in commands if c[0] == "set" and c[1] in ("Bridge", "Port")]
    assert len(marks) == 3
    assert all("external_ids:labkit-lab=mylab" in c and "external_ids:labkit-instance=i-1" in c for c in marks)


def test_ovs_unstamped_objects_are_stamped_once():
    wanted = dict(DESIRED, instance="i-1")
    commands = ovs.plan(built_state(), wanted)
    assert commands == [["set", "Bridge", "ovs-br1", "external_ids:labkit-lab=mylab", "external_ids:labkit-instance=i-1"],
                        ["set", "Port", "eth1", "external_ids:labkit-lab=mylab", "external_ids:labkit-instance=i-1"],
                        ["set", "Port", "ovs-br1-host", "external_ids:labkit-lab=mylab",
                         "external_ids:labkit-instance=i-1"]]
    assert ovs.plan(_with_ids(built_state(), **{"labkit-instance": "i-1"}), wanted) == []


def test_ovs_another_instance_is_refused_unless_adopted():
    other = _with_ids(built_state(), **{"labkit-instance": "i-2"})
    with pytest.raises(ovs.Conflict) as info:
        ovs.plan(other, dict(DESIRED, instance="i-1"))
    assert "lab mylab, instance i-2" in str(info.value)
    adopted = ovs.plan(other, dict(DESIRED, instance="i-1", adopt=True))
    assert len(adopted) == 3 and all("external_ids:labkit-instance=i-1" in c for c in adopted)


# ------------------------------------------------------------ files

def _xattrs_or_skip(path):
    try:
        os.setxattr(str(path), "user.labkit.probe", b"1")
    except OSError:
        pytest.skip("file system of %s lacks user extended attributes" % path)


def test_file_mark_carries_the_instance(tmp_path):
    path = tmp_path / "mylab_node-vda.qcow2"
    path.write_bytes(b"")
    _xattrs_or_skip(path)
    file_owner.mark(str(path), "mylab")
    assert file_owner.found_mark(str(path)) == ("mylab", None)
    assert ownership.judge(*file_owner.found_mark(str(path)) + ("mylab", "i-1")) == ownership.TO_STAMP
    file_owner.mark(str(path), "mylab", "i-1")
    assert file_owner.found_mark(str(path)) == ("mylab", "i-1")
    assert ownership.judge(*file_owner.found_mark(str(path)) + ("mylab", "i-1")) == ownership.OURS
    assert ownership.judge(*file_owner.found_mark(str(path)) + ("mylab", "i-2")) == ownership.FOREIGN
    assert ownership.describe(*file_owner.found_mark(str(path))) == "lab mylab, instance i-1"
