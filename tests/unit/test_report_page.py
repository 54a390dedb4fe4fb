"""report_page: the files of a run's report, written from lab.json and the phases."""
import json
import os
import xml.etree.ElementTree as ET

from ansible_collections.labkit.tripleo.plugins.module_utils import lab_report, report_page
from test_lab_picture import random_lab, summary_of


def _run(failed=False):
    log = lab_report.PhaseLog(0.0)
    for started, phase in enumerate(("description", "virthost", "network")):
        log.task_started(phase, 1.0 + started)
        log.task_done(phase, "failed" if failed and phase == "network" else "ok", task="Create the bridge",
                      message="localhost: <bridge> & co refused")
    log.finish(4.0)
    rows = log.results()
    return rows, lab_report.timings("l", rows, log.total_seconds(), "2026-11-22T00:00:00Z", "site.yml", not failed)


def test_a_run_writes_junit_timings_history_picture_and_page(tmp_path):
    root, tmp_path = tmp_path, tmp_path / "lab-dir"
    tmp_path.mkdir()
    model, summary = summary_of(random_lab(7))
    summary["vms"][1]["power"] = "on"
    (tmp_path / "lab.json").write_text(json.dumps(summary))
    node = summary["vms"][1]["name"]
    boot_check = {"nodes": [{"name": node, "ok": False, "error": "no DHCP request"}]}
    (tmp_path / "boot-check.json").write_text(json.dumps(boot_check))
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / ("console-%s.log" % node)).write_text("SeaBIOS")
    rows, record = _run(failed=True)
    written = report_page.write(str(tmp_path), model["name"], rows, record)
    assert sorted(os.path.basename(p) for p in written) == ["index.html", "junit.xml", "lab.svg", "timings.json"]
    assert ET.parse(str(tmp_path / "junit.xml")).getroot().find("testsuite").get("failures") == "1"
    assert json.loads((tmp_path / "timings.json").read_text())["ok"] is False
    report_page.write(str(tmp_path), model["name"], rows, record)
    history = root / "history" / ("%s-timings.jsonl" % model["name"])
    assert [json.loads(line)["ok"] for line in history.read_text().splitlines()] == [False, False]
    page = (tmp_path / "index.html").read_text()
    for vm in model["vms"]:
        assert "<td>%s</td>" % vm["name"] in page
    assert "FAILED: no DHCP request" in page and "<td>on</td>" in page
    assert "&lt;bridge&gt; &amp; co refused" in page and "<bridge>" not in page
    assert '<a href="logs/console-%s.log">' % node in page
    assert page.count("<svg") == 1 and "<?xml" not in page
    assert report_page.external_references(page) == []


def test_without_lab_json_the_page_says_there_is_no_picture(tmp_path):
    rows, record = _run()
    report_page.write(str(tmp_path), "l", rows, record)
    page = (tmp_path / "index.html").read_text()
    assert "No picture: lab.json is not written yet" in page and not (tmp_path / "lab.svg").exists()
    assert "<title>lab l: up</title>" in page


def test_external_references_are_found():
    assert report_page.external_references('<img src="https://x/y.png"><a href="//cdn/z">') == [
        'src="https://', 'href="//']
    assert report_page.external_references('<a href="logs/x.log">') == []
