# -*- coding: utf-8 -*-
"""boot_check_run.judge: each node's verdict from its boot progress and its BMC's answers."""

from ansible_collections.labkit.tripleo.plugins.module_utils import pxe_responder as pxe
from ansible_collections.labkit.tripleo.plugins.module_utils.boot_check_run import judge, remove_empty_dirs

MAC1, MAC2, MAC3 = "52:54:1a:10:01:00", "52:54:1a:10:02:00", "52:54:1a:10:03:00"


def _nodes(tmp_path):
    nodes = []
    for name, mac in (("control-1", MAC1), ("compute-1", MAC2), ("compute-2", MAC3)):
        log = tmp_path / ("%s-console.log" % name)
        log.write_text("SeaBIOS\r\n%s: No bootable device.\r\n" % name)
        nodes.append({"name": name, "mac": mac, "console_log": str(log)})
    return nodes


def _progress(nodes):
    progress = pxe.BootProgress(nodes)
    for node in nodes:
        progress.powered_on(node["mac"], 0.0)
    progress.dnsmasq_event({"kind": "ack", "ip": "10.0.0.5", "mac": MAC1}, 3.0)
    progress.http_request("10.0.0.5", "/boot.ipxe", 4.0)
    progress.http_request("10.0.0.5", "/booted/52-54-1a-10-01-00", 5.0)
    return progress.report()


def test_a_booted_node_passes_without_console_lines(tmp_path):
    nodes = _nodes(tmp_path)
    rows, warnings = judge(_progress(nodes), nodes, {n["name"]: None for n in nodes}, set(), {})
    row = rows[0]
    assert row["ok"] is True and row["error"] is None and row["console_tail"] == []
    assert row["console_log"] == nodes[0]["console_log"]
    assert warnings == []


def test_a_silent_node_fails_with_the_reason_and_its_console(tmp_path):
    nodes = _nodes(tmp_path)
    rows, _warnings = judge(_progress(nodes), nodes, {n["name"]: None for n in nodes}, {"compute-2"}, {})
    assert rows[1]["ok"] is False
    assert rows[1]["error"] == "no DHCP request from %s on the provisioning VLAN" % MAC2
    assert rows[1]["console_tail"] == ["SeaBIOS", "compute-1: No bootable device."]
    assert rows[2]["error"].endswith("; the firmware gave up (No bootable device)")


def test_a_bmc_error_overrides_the_progress_and_a_failed_power_off_warns(tmp_path):
    nodes = _nodes(tmp_path)
    power = {n["name"]: None for n in nodes}
    power["control-1"] = "no answer from 127.0.0.1:7001"
    rows, warnings = judge(_progress(nodes), nodes, power, set(), {"compute-1": "timeout"})
    assert rows[0]["ok"] is False and rows[0]["error"] == "BMC: no answer from 127.0.0.1:7001"
    assert warnings == ["compute-1: could not be powered off through its BMC: timeout"]


def test_the_check_leaves_no_empty_directory_but_keeps_what_others_use(tmp_path):
    parent = tmp_path / "labkit"
    (parent / "boot-check").mkdir(parents=True)
    remove_empty_dirs(str(parent / "boot-check"))
    assert not parent.exists()
    (parent / "boot-check" / "other-lab").mkdir(parents=True)
    remove_empty_dirs(str(parent / "boot-check"))
    assert (parent / "boot-check" / "other-lab").is_dir()
    (parent / "boot-check" / "other-lab").rmdir()
    (parent / "redfish-lab.pid").write_text("1\n")
    remove_empty_dirs(str(parent / "boot-check"))
    assert not (parent / "boot-check").exists() and (parent / "redfish-lab.pid").exists()
