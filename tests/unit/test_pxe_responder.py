# -*- coding: utf-8 -*-
"""The boot check's pure parts: dnsmasq arguments and log, progress per node, and the plan
read from the lab model."""

import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import pxe_responder as pxe
from ansible_collections.labkit.tripleo.plugins.module_utils.lab_model import normalize

MAC1, MAC2 = "52:54:1a:10:01:00", "52:54:1a:10:02:00"
NODES = [{"name": "control-1", "mac": MAC1}, {"name": "compute-1", "mac": MAC2}]


def test_dnsmasq_answers_the_lab_macs_only_and_chains_ipxe_to_http():
    argv = pxe.dnsmasq_argv("/usr/sbin/dnsmasq", "lkbc0", "192.168.24.1", "192.168.24.100", "192.168.24.120",
                            "255.255.255.0", [MAC1, MAC2], "/run/x/log", "/run/x/leases", "/run/x/tftp")
    assert argv[0] == "/usr/sbin/dnsmasq"
    for expected in ("--port=0", "--bind-interfaces", "--interface=lkbc0", "--dhcp-ignore=tag:!known",
                     "--dhcp-range=192.168.24.100,192.168.24.120,255.255.255.0,10m", "--conf-file=/dev/null",
                     "--dhcp-host=" + MAC1, "--dhcp-host=" + MAC2, "--dhcp-match=set:ipxe,175",
                     "--dhcp-boot=tag:ipxe,http://192.168.24.1:8088/boot.ipxe", "--log-dhcp",
                     "--log-facility=/run/x/log", "--enable-tftp", "--tftp-root=/run/x/tftp",
                     "--dhcp-boot=tag:!ipxe,undionly.kpxe", "--no-ping"):
        assert expected in argv


def test_dnsmasq_without_pxe_image_serves_no_tftp():
    argv = pxe.dnsmasq_argv("dnsmasq", "p", "10.0.0.1", "10.0.0.5", "10.0.0.9", "255.255.255.0", [MAC1],
                            "/l", "/s")
    assert not [a for a in argv if "tftp" in a or "undionly" in a]


def test_boot_script_fetches_a_url_naming_the_mac():
    script = pxe.boot_script("192.168.24.1")
    assert script.startswith("#!ipxe\n")
    assert "chain http://192.168.24.1:8088/booted/${mac:hexhyp}" in script
    assert pxe.booted_script().startswith("#!ipxe\n")


@pytest.mark.parametrize("line, event", [
    ("Nov 22 00:20:01 dnsmasq-dhcp[1234]: 3617281 DHCPDISCOVER(lkbc1) 52:54:1A:10:01:00 ",
     {"kind": "discover", "ip": None, "mac": MAC1}),
    ("Nov 22 00:20:02 dnsmasq-dhcp[1234]: 3617281 DHCPOFFER(lkbc1) 192.168.24.105 52:54:1a:10:01:00 ",
     {"kind": "offer", "ip": "192.168.24.105", "mac": MAC1}),
    ("Nov 22 00:20:03 dnsmasq-dhcp[1234]: 3617281 DHCPREQUEST(lkbc1) 192.168.24.105 52:54:1a:10:01:00 ",
     {"kind": "request", "ip": "192.168.24.105", "mac": MAC1}),
    ("Nov 22 00:20:03 dnsmasq-dhcp[1234]: 3617281 DHCPACK(lkbc1) 192.168.24.105 52:54:1a:10:01:00 ",
     {"kind": "ack", "ip": "192.168.24.105", "mac": MAC1}),
    ("Nov 22 00:20:04 dnsmasq-tftp[1234]: sent /run/x/tftp/undionly.kpxe to 192.168.24.105",
     {"kind": "tftp", "file": "/run/x/tftp/undionly.kpxe", "ip": "192.168.24.105", "mac": None}),
    ("Nov 22 00:20:01 dnsmasq-dhcp[1234]: 3617281 DHCPDISCOVER(lkbc1) 02:00:00:00:00:09 ignored",
     {"kind": "discover", "ip": None, "mac": "02:00:00:00:00:09"}),
])
def test_dnsmasq_log_lines(line, event):
    assert pxe.parse_dnsmasq_line(line) == event


def test_dnsmasq_lines_without_an_event_are_skipped():
    assert pxe.parse_dnsmasq_line("Nov 22 00:20:01 dnsmasq-dhcp[1234]: 3617281 tags: known, lkbc1") is None
    assert pxe.parse_dnsmasq_line("Nov 22 00:20:01 dnsmasq[1234]: started, version 2.90 DNS disabled") is None


def _feed(progress, line, when):
    progress.dnsmasq_event(pxe.parse_dnsmasq_line(line), when)


def test_progress_of_a_node_that_boots_and_one_that_never_asks():
    progress = pxe.BootProgress(NODES)
    progress.powered_on(MAC1, 100.0)
    progress.powered_on(MAC2, 100.5)
    _feed(progress, "dnsmasq-dhcp[1]: 1 DHCPDISCOVER(p) %s " % MAC1, 110.0)
    _feed(progress, "dnsmasq-dhcp[1]: 1 DHCPACK(p) 10.0.0.5 %s " % MAC1, 113.0)
    progress.http_request("10.0.0.5", "/boot.ipxe", 114.2)
    assert not progress.done()
    progress.http_request("10.0.0.5", "/booted/52-54-1a-10-01-00", 114.5)
    rows = progress.report()
    assert rows[0] == {"name": "control-1", "mac": MAC1, "address": "10.0.0.5", "dhcp_seen": True,
                       "dhcp_seconds": 10.0, "boot_file_fetched": True, "boot_file_seconds": 14.2,
                       "boot_script_ran": True, "seconds": 14.5, "ok": True}
    assert rows[1]["ok"] is False and rows[1]["dhcp_seen"] is False and rows[1]["seconds"] is None
    assert not progress.done()
    assert pxe.failure_reason(rows[1]) == "no DHCP request from %s on the provisioning VLAN" % MAC2


def test_a_foreign_mac_or_an_unknown_client_does_not_count():
    progress = pxe.BootProgress(NODES)
    progress.powered_on(MAC1, 0.0)
    _feed(progress, "dnsmasq-dhcp[1]: 1 DHCPDISCOVER(p) 02:00:00:00:00:09 ignored", 1.0)
    progress.http_request("10.0.0.77", "/boot.ipxe", 2.0)
    progress.http_request("10.0.0.77", "/booted/02-00-00-00-00-09", 2.0)
    assert not any(row["dhcp_seen"] or row["boot_file_fetched"] for row in progress.report())


def test_tftp_boot_file_is_matched_by_the_leased_address():
    progress = pxe.BootProgress(NODES)
    progress.powered_on(MAC2, 0.0)
    _feed(progress, "dnsmasq-dhcp[1]: 1 DHCPACK(p) 10.0.0.6 %s " % MAC2, 3.0)
    _feed(progress, "dnsmasq-tftp[1]: sent /t/undionly.kpxe to 10.0.0.6", 4.0)
    row = progress.report()[1]
    assert row["boot_file_fetched"] and row["boot_file_seconds"] == 4.0 and not row["ok"]
    assert pxe.failure_reason(row) == "fetched the boot file but never ran the boot script"


def test_responder_addresses_checked_against_the_pool():
    assert pxe.responder_addresses("192.168.24.1/24", "192.168.24.51", "192.168.24.100") == \
        ("192.168.24.1/24", "255.255.255.0")
    with pytest.raises(ValueError, match="inside the pool"):
        pxe.responder_addresses("192.168.24.60/24", "192.168.24.51", "192.168.24.100")
    with pytest.raises(ValueError, match="outside"):
        pxe.responder_addresses("192.168.24.1/24", "192.168.25.51", "192.168.25.100")


def test_names_fit_linux_and_differ_between_labs():
    assert len(pxe.port_name("a" * 32)) <= 15
    assert pxe.port_name("lab-a") != pxe.port_name("lab-b")
    assert pxe.namespace_name("lab-a") == "labkit-bootcheck-lab-a"


def test_plan_from_the_lab_model(lab):
    lab["bmc"] = {"type": "redfish", "port": 8000}
    lab["checks"] = {"boot_timeout_seconds": 120}
    plan = pxe.plan(normalize(lab))
    assert plan["vlan"] == 100
    assert plan["address"] == "192.168.255.1/24"
    assert (plan["pool_start"], plan["pool_end"]) == ("192.168.255.51", "192.168.255.100")
    assert plan["timeout"] == 120
    control = plan["nodes"][0]
    assert control["name"] == "control-1" and control["console_log"].endswith("/control-1-console.log")
    assert control["bmc"] == {"type": "redfish", "address": "127.0.0.1", "port": 8000}
    # The provisioning NIC's MAC, wherever that NIC sits in the list.
    lab["nodes"][0]["nics"] = ["trunk-1", "access-100"]
    model = normalize(lab)
    assert pxe.plan(model)["nodes"][0]["mac"] == model["nodes"][0]["nics"][1]["mac"]


def test_report_names_failed_nodes_and_holds_no_secret(lab):
    model = normalize(lab)
    result = {"ok": False, "seconds": 30.0, "nodes": [{"name": "control-1", "ok": True},
                                                      {"name": "compute-1", "ok": False}]}
    report = pxe.report(result, model)
    assert report["failed"] == ["compute-1"] and report["ok"] is False and report["lab"] == "mylab"
    assert "password" not in repr(report)
