# -*- coding: utf-8 -*-
"""ovs_bridge: what the module adds to ovs.plan - the datapath choice, the host address and the
unit that restores it at boot, the one transaction, ownership on delete, the refusal's remedy,
argument checks and check mode. Every ovs-vsctl, ip, modprobe and systemctl call is answered by
FakeHost, /sys/module and systemd are what FakeHost says, and units go to a temporary directory:
nothing runs on or changes the host."""
import json
import os

import pytest


from ansible_collections.labkit.tripleo.plugins.module_utils import service
from ansible_collections.labkit.tripleo.plugins.modules import ovs_bridge

import module_harness
from module_harness import FakeFail

KMOD = "/sys/module/openvswitch"
READ_ONLY = (["ovs-vsctl", "--timeout=10", "--format=json"], ["ip", "-j", "addr", "show"])
UNIT = "labkit-mylab-host-address.service"


def _ids(ids):
    return ["map", [[k, v] for k, v in sorted((ids or {}).items())]]


def _set(values):
    values = list(values)
    return values[0] if len(values) == 1 else ["set", values]


def ovs_tables(bridges):
    """The three ``ovs-vsctl --format=json --columns=... list`` outputs the module reads.

    ``bridges``: dicts with name, datapath_type, ids and ports (dicts with name, tag, trunks,
    ids, type); OVSDB JSON as ovs-vsctl prints it (a one-element set as a bare atom).
    """
    bridge_rows, port_rows, iface_rows = [], [], []
    for b, bridge in enumerate(bridges):
        uuids = []
        for p, port in enumerate(bridge.get("ports", [])):
            uuid = "port-%d-%d" % (b, p)
            uuids.append(["uuid", uuid])
            tag = port.get("tag")
            port_rows.append([["uuid", uuid], port["name"], tag if tag is not None else ["set", []],
                              _set(port.get("trunks", [])), _ids(port.get("ids"))])
            iface_rows.append([port["name"], port.get("type", "")])
        bridge_rows.append([["uuid", "bridge-%d" % b], bridge["name"], bridge.get("datapath_type", ""),
                            _ids(bridge.get("ids")), _set(uuids)])
    return {
        "Bridge": json.dumps({"headings": ["_uuid", "name", "datapath_type", "external_ids", "ports"],
                              "data": bridge_rows}),
        "Port": json.dumps({"headings": ["_uuid", "name", "tag", "trunks", "external_ids"], "data": port_rows}),
        "Interface": json.dumps({"headings": ["name", "type"], "data": iface_rows}),
    }


MARK = {"labkit-lab": "mylab", "labkit-instance": "i-1"}


def built_bridge(ids=None, datapath_type="system", trunks=(100, 101, 102), host_tag=100):
    """ovs-br1 as this lab builds it: the uplink eth1 trunking, the host port tagged."""
    ids = MARK if ids is None else ids
    return {"name": "ovs-br1", "datapath_type": datapath_type, "ids": ids, "ports": [
        {"name": "ovs-br1", "type": "internal"},
        {"name": "eth1", "trunks": list(trunks), "ids": ids},
        {"name": "ovs-br1-host", "tag": host_tag, "ids": ids, "type": "internal"},
    ]}


class FakeHost(object):
    """Answers ovs-vsctl, ip, modprobe and systemctl from a small description of the virthost;
    records every call.

    ``addresses``: the host port's addresses (None: the port does not exist yet).
    ``modprobe_loads``: whether a successful modprobe makes /sys/module/openvswitch appear.
    ``systemd``: whether systemd is the init system; ``unit_dir`` stands in for /etc/systemd/system.
    """

    def __init__(self, bridges=(), kernel=True, modprobe_rc=1, modprobe_loads=True, addresses=None, up=True,
                 vsctl_rc=0, systemd=False, unit_dir=None):
        self.tables = ovs_tables(bridges)
        self.kernel, self.modprobe_rc, self.modprobe_loads = kernel, modprobe_rc, modprobe_loads
        self.addresses, self.up, self.vsctl_rc = addresses, up, vsctl_rc
        self.systemd, self.unit_dir = systemd, unit_dir
        self.calls = []

    def __call__(self, argv):
        argv = list(argv)
        self.calls.append(argv)
        if argv[:2] == ["ovs-vsctl", "--timeout=10"]:
            if argv[-2] == "list":
                return 0, self.tables[argv[-1]], ""
            return self.vsctl_rc, "", "ovs-vsctl: transaction error" if self.vsctl_rc else ""
        if argv == ["modprobe", "openvswitch"]:
            if self.modprobe_rc == 0 and self.modprobe_loads:
                self.kernel = True
            return self.modprobe_rc, "", "" if self.modprobe_rc == 0 else "modprobe: FATAL: Module not found"
        if argv[:5] == ["ip", "-j", "addr", "show", "dev"]:
            if self.addresses is None:
                return 1, "", 'Device "%s" does not exist.\n' % argv[5]
            flags = ["BROADCAST", "MULTICAST"] + (["UP", "LOWER_UP"] if self.up else [])
            info = [{"ifname": argv[5], "flags": flags, "addr_info": [
                {"family": "inet", "local": a.split("/")[0], "prefixlen": int(a.split("/")[1])}
                for a in self.addresses]}]
            return 0, json.dumps(info), ""
        if argv[:4] == ["ip", "link", "set", "dev"] or argv[:3] == ["ip", "addr", "add"]:
            return 0, "", ""
        if argv[0] == "/usr/bin/systemctl" and argv[1] in ("daemon-reload", "enable", "disable"):
            return 0, "", ""
        raise AssertionError("unexpected command %r" % argv)

    def isdir(self, path):
        assert path == KMOD, "the module looked at %s" % path
        return self.kernel

    def writes(self):
        """The calls that would change the host."""
        return [c for c in self.calls if not any(c[:len(r)] == r for r in READ_ONLY)]


class FakePath(object):
    def __init__(self, host):
        self.isdir = host.isdir


class FakeOs(object):
    """Stands in for the module's ``os``: /sys/module/openvswitch exists when the host says so."""

    def __init__(self, host):
        self.path = FakePath(host)


class FakeModule(object):
    """Stands in for AnsibleModule in the helper functions."""

    def __init__(self, host, check_mode=False):
        self.host, self.check_mode = host, check_mode

    def get_bin_path(self, name, required=False):
        return "/usr/bin/" + name

    def run_command(self, argv, check_rc=False):
        rc, out, err = self.host(argv)
        if check_rc and rc != 0:
            raise FakeFail({"msg": err, "cmd": argv})
        return rc, out, err

    def fail_json(self, **kwargs):
        raise FakeFail(kwargs)


@pytest.fixture
def fake_host(monkeypatch, tmp_path):
    """A FakeHost factory. The module's view of /sys/module and of systemd goes through the
    newest one, and its address unit to a directory of the test's own."""
    keep_address = ovs_bridge.keep_address

    def make(**kwargs):
        kwargs.setdefault("unit_dir", str(tmp_path))
        host = FakeHost(**kwargs)
        monkeypatch.setattr(ovs_bridge, "os", FakeOs(host))
        monkeypatch.setattr(service, "systemd_is_init", lambda: host.systemd)
        monkeypatch.setattr(ovs_bridge, "keep_address",
                            lambda module, params: keep_address(module, params, unit_dir=host.unit_dir))
        return host
    return make


def run_main(monkeypatch, host, check_mode=False, **args):
    """main() with its real argument checks, FakeHost behind run_command; (outcome, result, warnings)."""
    args.setdefault("lab", "mylab")
    args.setdefault("bridge", "ovs-br1")
    return module_harness.run_main(monkeypatch, ovs_bridge, args, check_mode, commands=host, bin_dir="/usr/bin")


FULL = dict(instance="i-1", uplink="eth1", vlans=[102, 100, 101], host_port="ovs-br1-host", host_vlan=100,
            host_address="192.168.255.200/24")


# ------------------------------------------------------------------- vsctl

def test_vsctl_runs_with_a_timeout_and_returns_its_output(fake_host):
    host = fake_host(bridges=[built_bridge()])
    out = ovs_bridge.vsctl(FakeModule(host), "--format=json", "--columns=name,type", "list", "Interface")
    assert host.calls == [["ovs-vsctl", "--timeout=10", "--format=json", "--columns=name,type", "list", "Interface"]]
    assert [row[0] for row in json.loads(out)["data"]] == ["ovs-br1", "eth1", "ovs-br1-host"]


def test_vsctl_failure_names_the_command_and_the_error(fake_host):
    with pytest.raises(FakeFail) as failure:
        ovs_bridge.vsctl(FakeModule(fake_host(vsctl_rc=1)), "del-br", "ovs-br1")
    assert failure.value.args[0]["msg"] == "ovs-vsctl del-br ovs-br1 failed: ovs-vsctl: transaction error"
    assert failure.value.args[0]["rc"] == 1


def test_read_state_reads_the_three_tables_with_the_columns_it_needs(fake_host):
    host = fake_host(bridges=[built_bridge(datapath_type="netdev", trunks=[100])])
    state = ovs_bridge.read_state(FakeModule(host))
    assert [c[3:] for c in host.calls] == [
        ["--columns=_uuid,name,datapath_type,external_ids,ports", "list", "Bridge"],
        ["--columns=_uuid,name,tag,trunks,external_ids", "list", "Port"],
        ["--columns=name,type", "list", "Interface"]]
    assert state["bridges"]["ovs-br1"] == {"datapath_type": "netdev", "external_ids": MARK,
                                           "ports": ["eth1", "ovs-br1", "ovs-br1-host"]}
    assert state["ports"]["eth1"] == {"bridge": "ovs-br1", "tag": None, "trunks": [100], "external_ids": MARK,
                                      "type": ""}
    assert state["ports"]["ovs-br1-host"]["tag"] == 100 and state["ports"]["ovs-br1-host"]["type"] == "internal"


# --------------------------------------------------------- choose_datapath

@pytest.mark.parametrize("requested", ["system", "netdev"])
def test_a_requested_datapath_is_taken_as_it_is(fake_host, requested):
    host = fake_host(kernel=False)
    existing = {"datapath_type": "netdev" if requested == "system" else "system"}
    assert ovs_bridge.choose_datapath(FakeModule(host), requested, existing) == (requested, "requested")
    assert host.calls == []


@pytest.mark.parametrize("kernel, word", [(True, "loaded"), (False, "not loaded")])
def test_auto_keeps_the_datapath_of_an_existing_bridge(fake_host, kernel, word):
    host = fake_host(kernel=kernel, modprobe_rc=0)
    datapath, reason = ovs_bridge.choose_datapath(FakeModule(host), "auto", {"datapath_type": "netdev"})
    assert datapath == "netdev"
    assert reason == "kept from the existing bridge (openvswitch kernel module %s)" % word
    assert host.calls == [], "an existing bridge's datapath needs no modprobe"


def test_auto_takes_the_kernel_datapath_when_the_module_is_loaded(fake_host):
    host = fake_host(kernel=True)
    # An existing bridge without a datapath_type set is decided like a new one.
    for existing in (None, {"datapath_type": ""}):
        assert ovs_bridge.choose_datapath(FakeModule(host), "auto", existing) == (
            "system", "the openvswitch kernel module is loaded")
    assert host.calls == []


def test_auto_loads_the_kernel_module_when_it_can(fake_host):
    host = fake_host(kernel=False, modprobe_rc=0)
    assert ovs_bridge.choose_datapath(FakeModule(host), "auto", None) == (
        "system", "the openvswitch kernel module was loaded")
    assert host.calls == [["modprobe", "openvswitch"]]


@pytest.mark.parametrize("modprobe_rc, loads", [(1, False), (0, False)])
def test_auto_falls_back_to_netdev_without_the_kernel_module(fake_host, modprobe_rc, loads):
    # modprobe failing, or succeeding without the module appearing (a container): netdev.
    host = fake_host(kernel=False, modprobe_rc=modprobe_rc, modprobe_loads=loads)
    assert ovs_bridge.choose_datapath(FakeModule(host), "auto", None) == (
        "netdev", "the openvswitch kernel module is not loaded and cannot be loaded")
    assert host.calls == [["modprobe", "openvswitch"]]


def test_check_mode_never_loads_the_kernel_module(fake_host):
    host = fake_host(kernel=False, modprobe_rc=0)
    datapath, _reason = ovs_bridge.choose_datapath(FakeModule(host, check_mode=True), "auto", None)
    assert datapath == "netdev" and host.calls == []


# ---------------------------------------------------------- ensure_address

def test_an_address_already_there_on_an_up_port_changes_nothing(fake_host):
    host = fake_host(addresses=["10.0.0.9/8", "192.168.255.200/24"])
    assert ovs_bridge.ensure_address(FakeModule(host), "ovs-br1-host", "192.168.255.200/24") is False
    assert host.writes() == []


def test_an_address_written_differently_is_the_same_address(fake_host):
    host = fake_host(addresses=["fd00::200/64"])
    assert ovs_bridge.ensure_address(FakeModule(host), "ovs-br1-host", "fd00:0:0::200/64") is False
    assert host.writes() == []


def test_an_uplink_without_vlans_is_refused_before_anything_changes(monkeypatch, fake_host):
    host = fake_host(kernel=True)
    kind, result, _warnings = run_main(monkeypatch, host, uplink="eth1", vlans=[])
    assert kind == "fail" and "an empty list would trunk every VLAN" in result["msg"]
    assert host.calls == []


def test_a_down_port_is_brought_up_and_given_the_address(fake_host):
    host = fake_host(addresses=["192.168.255.200/16"], up=False)
    assert ovs_bridge.ensure_address(FakeModule(host), "ovs-br1-host", "192.168.255.200/24") is True
    assert host.writes() == [["ip", "link", "set", "dev", "ovs-br1-host", "up"],
                             ["ip", "addr", "add", "192.168.255.200/24", "dev", "ovs-br1-host"]]


def test_an_up_port_only_gets_the_missing_address_and_a_down_one_only_goes_up(fake_host):
    host = fake_host(addresses=[])
    assert ovs_bridge.ensure_address(FakeModule(host), "ovs-br1-host", "192.168.255.200/24") is True
    assert host.writes() == [["ip", "addr", "add", "192.168.255.200/24", "dev", "ovs-br1-host"]]
    host = fake_host(addresses=["192.168.255.200/24"], up=False)
    assert ovs_bridge.ensure_address(FakeModule(host), "ovs-br1-host", "192.168.255.200/24") is True
    assert host.writes() == [["ip", "link", "set", "dev", "ovs-br1-host", "up"]]


@pytest.mark.parametrize("addresses, up", [([], False), (None, True)])
def test_check_mode_reports_an_address_change_without_making_it(fake_host, addresses, up):
    # None: the port does not exist yet (the bridge is still to be made in this check run).
    host = fake_host(addresses=addresses, up=up)
    assert ovs_bridge.ensure_address(FakeModule(host, check_mode=True), "ovs-br1-host", "192.168.255.200/24")
    assert host.writes() == []


def test_a_port_whose_addresses_cannot_be_read_fails_for_real(fake_host):
    host = fake_host(addresses=None)
    with pytest.raises(FakeFail) as failure:
        ovs_bridge.ensure_address(FakeModule(host), "ovs-br1-host", "192.168.255.200/24")
    assert failure.value.args[0]["msg"] == ('cannot read addresses of ovs-br1-host: '
                                            'Device "ovs-br1-host" does not exist.')
    assert host.writes() == []


# ------------------------------------------------------------ keep_address

PRESENT = {"lab": "mylab", "state": "present", "bridge": "ovs-br1", "host_port": "ovs-br1-host",
           "host_address": "192.168.255.200/24"}
SYSTEMCTL = "/usr/bin/systemctl"


def test_without_systemd_no_unit_is_written_or_removed(fake_host, tmp_path):
    host = fake_host(systemd=False)
    (tmp_path / UNIT).write_text("somebody's unit\n")
    assert ovs_bridge.keep_address(FakeModule(host), PRESENT) == (False, None)
    assert ovs_bridge.keep_address(FakeModule(host), dict(PRESENT, state="absent")) == (False, None)
    assert host.calls == [] and (tmp_path / UNIT).read_text() == "somebody's unit\n"


def test_the_address_unit_brings_the_port_up_and_puts_the_address_back(fake_host, tmp_path):
    host = fake_host(systemd=True)
    path = str(tmp_path / UNIT)
    assert ovs_bridge.keep_address(FakeModule(host), PRESENT) == (True, path)
    text = (tmp_path / UNIT).read_text()
    assert [line for line in text.splitlines() if line.startswith("ExecStart=")] == [
        "ExecStart=/usr/bin/ip link set dev ovs-br1-host up",
        "ExecStart=/usr/bin/ip addr replace 192.168.255.200/24 dev ovs-br1-host"]
    assert "Type=oneshot" in text.splitlines() and "After=ovs-vswitchd.service" in text
    assert host.writes() == [[SYSTEMCTL, "daemon-reload"], [SYSTEMCTL, "enable", UNIT]]
    host.calls = []
    assert ovs_bridge.keep_address(FakeModule(host), PRESENT) == (False, path)
    assert host.calls == [], "an unchanged unit is neither rewritten nor re-enabled"
    assert ovs_bridge.keep_address(FakeModule(host), dict(PRESENT, host_address="10.9.9.9/24")) == (True, path)
    assert "ExecStart=/usr/bin/ip addr replace 10.9.9.9/24 dev ovs-br1-host" in (tmp_path / UNIT).read_text()


def test_check_mode_reports_a_new_unit_without_writing_it(fake_host, tmp_path):
    host = fake_host(systemd=True)
    assert ovs_bridge.keep_address(FakeModule(host, check_mode=True), PRESENT) == (True, str(tmp_path / UNIT))
    assert os.listdir(str(tmp_path)) == [] and host.calls == []


@pytest.mark.parametrize("params", [dict(PRESENT, host_port=None, host_address=None), dict(PRESENT, state="absent")],
                         ids=["address-dropped", "bridge-deleted"])
def test_a_unit_no_longer_wanted_is_disabled_and_removed(fake_host, tmp_path, params):
    host = fake_host(systemd=True)
    ovs_bridge.keep_address(FakeModule(host), PRESENT)
    host.calls = []
    assert ovs_bridge.keep_address(FakeModule(host, check_mode=True), params) == (True, None)
    assert host.calls == [] and (tmp_path / UNIT).exists()
    assert ovs_bridge.keep_address(FakeModule(host), params) == (True, None)
    assert host.writes() == [[SYSTEMCTL, "disable", "--now", UNIT], [SYSTEMCTL, "daemon-reload"]]
    assert not (tmp_path / UNIT).exists()
    assert ovs_bridge.keep_address(FakeModule(host), params) == (False, None)


def test_a_renamed_bridges_clean_up_leaves_the_unit_of_the_bridge_that_replaced_it(fake_host, tmp_path):
    host = fake_host(systemd=True)
    ovs_bridge.keep_address(FakeModule(host), dict(PRESENT, bridge="ovs-br2", host_port="ovs-br2-host"))
    host.calls = []
    assert ovs_bridge.keep_address(FakeModule(host), dict(PRESENT, state="absent")) == (False, None)
    assert host.calls == [] and "of bridge ovs-br2" in (tmp_path / UNIT).read_text()


def test_a_unit_file_the_lab_did_not_write_is_never_overwritten_or_removed(fake_host, tmp_path):
    host = fake_host(systemd=True)
    (tmp_path / UNIT).write_text("[Unit]\nDescription=the admin's own\n")
    for params in (PRESENT, dict(PRESENT, state="absent")):
        with pytest.raises(FakeFail) as failure:
            ovs_bridge.keep_address(FakeModule(host), params)
        assert "was not written by lab mylab" in failure.value.args[0]["msg"]
    assert (tmp_path / UNIT).read_text() == "[Unit]\nDescription=the admin's own\n" and host.writes() == []


# -------------------------------------------------------------------- main

def test_a_new_bridge_is_built_in_one_transaction(monkeypatch, fake_host):
    host = fake_host(kernel=True, addresses=[])
    kind, result, warnings = run_main(monkeypatch, host, **FULL)
    assert kind == "exit" and result["changed"] is True and warnings == []
    assert result["datapath"] == "system" and result["address_added"] is True
    vsctl_writes = [c for c in host.writes() if c[0] == "ovs-vsctl"]
    assert len(vsctl_writes) == 1, "all OVS changes go in one ovs-vsctl transaction"
    words = vsctl_writes[0][2:]
    assert [" ".join(c) for c in result["commands"]] == " ".join(words).split(" -- ")
    assert result["commands"][:2] == [
        ["add-br", "ovs-br1"],
        ["set", "Bridge", "ovs-br1", "datapath_type=system", "external_ids:labkit-lab=mylab",
         "external_ids:labkit-instance=i-1"]]
    assert ["set", "Port", "eth1", "external_ids:labkit-lab=mylab", "external_ids:labkit-instance=i-1",
            "tag=[]", "trunks=100,101,102"] in result["commands"]
    # The host port exists (OVS transaction first) before its address is added.
    assert host.writes()[-1] == ["ip", "addr", "add", "192.168.255.200/24", "dev", "ovs-br1-host"]


def test_the_userspace_datapath_is_used_with_a_warning(monkeypatch, fake_host):
    host = fake_host(kernel=False, modprobe_rc=1)
    kind, result, warnings = run_main(monkeypatch, host, instance="i-1")
    assert kind == "exit" and result["datapath"] == "netdev"
    assert result["datapath_reason"] == "the openvswitch kernel module is not loaded and cannot be loaded"
    assert "datapath_type=netdev" in result["commands"][1]
    assert len(warnings) == 1 and "bridge ovs-br1 uses the userspace datapath (netdev)" in warnings[0]


def test_a_bridge_in_its_wanted_state_is_unchanged(monkeypatch, fake_host):
    host = fake_host(bridges=[built_bridge()], kernel=True, addresses=["192.168.255.200/24"])
    kind, result, _warnings = run_main(monkeypatch, host, **FULL)
    assert kind == "exit" and result["changed"] is False
    assert result["commands"] == [] and result["address_added"] is False
    assert result["address_unit"] is None, "no systemd, no unit (the role warns)"
    assert host.writes() == []


def test_the_address_unit_is_installed_with_the_bridge_and_removed_with_it(monkeypatch, fake_host, tmp_path):
    host = fake_host(bridges=[built_bridge()], kernel=True, addresses=["192.168.255.200/24"], systemd=True)
    kind, result, _warnings = run_main(monkeypatch, host, **FULL)
    assert kind == "exit" and result["commands"] == [] and result["address_added"] is False
    assert result["changed"] is True and result["address_unit"] == str(tmp_path / UNIT)
    kind, result, _warnings = run_main(monkeypatch, host, **FULL)
    assert result["changed"] is False and result["address_unit"] == str(tmp_path / UNIT)
    host.calls = []
    kind, result, _warnings = run_main(monkeypatch, host, instance="i-1", state="absent")
    assert kind == "exit" and result["changed"] is True and result["commands"] == [["del-br", "ovs-br1"]]
    assert [SYSTEMCTL, "disable", "--now", UNIT] in host.writes() and not (tmp_path / UNIT).exists()


def test_a_missing_address_alone_makes_a_change(monkeypatch, fake_host):
    host = fake_host(bridges=[built_bridge()], kernel=True, addresses=[])
    kind, result, _warnings = run_main(monkeypatch, host, **FULL)
    assert kind == "exit" and result["commands"] == []
    assert result["changed"] is True and result["address_added"] is True
    assert host.writes() == [["ip", "addr", "add", "192.168.255.200/24", "dev", "ovs-br1-host"]]


def test_check_mode_plans_everything_and_changes_nothing(monkeypatch, fake_host):
    host = fake_host(bridges=[built_bridge(ids={"labkit-lab": "mylab"}, trunks=[100])], kernel=False,
                     modprobe_rc=0, addresses=None)
    kind, result, _warnings = run_main(monkeypatch, host, check_mode=True, **FULL)
    assert kind == "exit" and result["changed"] is True and result["address_added"] is True
    # An unstamped bridge of this lab is stamped, the drifted trunks are reset - on paper only.
    assert ["set", "Bridge", "ovs-br1", "external_ids:labkit-lab=mylab",
            "external_ids:labkit-instance=i-1"] in result["commands"]
    assert ["set", "Port", "eth1", "trunks=100,101,102", "external_ids:labkit-lab=mylab",
            "external_ids:labkit-instance=i-1"] in result["commands"]
    assert host.writes() == []


@pytest.mark.parametrize("ids, remedy", [
    ({"labkit-lab": "otherlab", "labkit-instance": "i-9"}, "Rename lab.network.bridge or remove it"),
    ({}, "Rename lab.network.bridge or remove it"),
    ({"labkit-lab": "mylab", "labkit-instance": "i-2"}, "take it over with -e lab_adopt=true"),
])
def test_a_foreign_bridge_is_refused_with_what_to_do(monkeypatch, fake_host, ids, remedy):
    host = fake_host(bridges=[built_bridge(ids=ids)], kernel=True, addresses=[])
    kind, result, _warnings = run_main(monkeypatch, host, **FULL)
    assert kind == "fail"
    assert result["msg"].startswith("Open vSwitch bridge 'ovs-br1' exists but was not created by lab 'mylab'")
    assert "; refusing to modify it. " in result["msg"] and result["msg"].endswith(remedy + ".")
    assert host.writes() == []


def test_adopt_takes_over_the_bridge_of_another_instance(monkeypatch, fake_host):
    host = fake_host(bridges=[built_bridge(ids={"labkit-lab": "mylab", "labkit-instance": "i-2"})],
                     kernel=True, addresses=["192.168.255.200/24"])
    kind, result, _warnings = run_main(monkeypatch, host, adopt=True, **FULL)
    assert kind == "exit" and result["changed"] is True
    assert [c[:3] for c in result["commands"]] == [["set", "Bridge", "ovs-br1"], ["set", "Port", "eth1"],
                                                   ["set", "Port", "ovs-br1-host"]]
    assert all(c[-1] == "external_ids:labkit-instance=i-1" for c in result["commands"])


@pytest.mark.parametrize("ids, deleted", [
    (MARK, True),
    ({"labkit-lab": "mylab"}, True),                             # marked before marks held an instance
    ({"labkit-lab": "mylab", "labkit-instance": "i-2"}, False),  # another lab of the same name
    ({"labkit-lab": "otherlab", "labkit-instance": "i-1"}, False),
    ({}, False),
])
def test_absent_deletes_only_the_labs_own_bridge(monkeypatch, fake_host, ids, deleted):
    host = fake_host(bridges=[built_bridge(ids=ids)])
    kind, result, warnings = run_main(monkeypatch, host, instance="i-1", state="absent")
    assert kind == "exit" and result["changed"] is deleted
    if deleted:
        assert result["commands"] == [["del-br", "ovs-br1"]] and warnings == []
        assert host.writes() == [["ovs-vsctl", "--timeout=10", "del-br", "ovs-br1"]]
    else:
        assert result["commands"] == [] and host.writes() == []
        assert len(warnings) == 1 and "was not created by lab 'mylab'" in warnings[0]


def test_absent_of_a_missing_bridge_or_in_check_mode_deletes_nothing(monkeypatch, fake_host):
    kind, result, _warnings = run_main(monkeypatch, fake_host(), instance="i-1", state="absent")
    assert kind == "exit" and result == {"changed": False, "commands": [], "address_unit": None}
    host = fake_host(bridges=[built_bridge()])
    kind, result, _warnings = run_main(monkeypatch, host, check_mode=True, instance="i-1", state="absent")
    assert result["changed"] is True and result["commands"] == [["del-br", "ovs-br1"]]
    assert host.writes() == []


@pytest.mark.parametrize("args, message", [
    ({"host_address": "192.168.255.200/24"}, "missing parameter(s) required by 'host_address': host_port"),
    ({"datapath": "dpdk"}, "value of datapath must be one of: auto, system, netdev, got: dpdk"),
    ({"state": "gone"}, "value of state must be one of: present, absent, got: gone"),
])
def test_invalid_arguments_are_refused_before_anything_runs(monkeypatch, fake_host, args, message):
    host = fake_host()
    kind, result, _warnings = run_main(monkeypatch, host, **args)
    assert kind == "fail" and result["msg"] == message
    assert host.calls == []
