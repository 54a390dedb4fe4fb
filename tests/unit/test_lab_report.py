"""lab_report: tasks attributed to phases, the phases' verdicts, JUnit and timings."""
import xml.etree.ElementTree as ET

from ansible_collections.labkit.tripleo.plugins.module_utils import lab_report


def run(events):
    """Feed (phase or None, status, task, message) events one second apart; return the log."""
    log = lab_report.PhaseLog(100.0)
    when = 100.0
    for phase, status, task, message in events:
        used = log.task_started(phase, when)
        when += 1.0
        log.task_done(used, status, task=task, message=message)
    log.finish(when)
    return log


def test_roles_map_to_phases_with_or_without_the_collection_prefix():
    assert lab_report.phase_of_role("labkit.tripleo.vbmc") == "bmc"
    assert lab_report.phase_of_role("redfish_bmc") == "bmc"
    assert lab_report.phase_of_role("labkit.tripleo.undercloud_vm") == "undercloud"
    assert lab_report.phase_of_role("somebody.else.role") is None and lab_report.phase_of_role(None) is None
    assert len(lab_report.BUILD_PHASES) == 15 and lab_report.BUILD_PHASES[0] == "description"


def test_a_failed_phase_names_its_task_and_later_phases_are_skipped_because_of_it():
    log = run([("description", "ok", "lab", None), ("virthost", "ok", "packages", None),
               ("network", "ok", "bridge", None), ("disks", "ok", "disks", None), ("domains", "ok", "define", None),
               ("bmc", "failed", "Create the BMCs", "localhost: port 7001 is in use by another process")])
    rows = dict((r["name"], r) for r in log.results())
    assert rows["bmc"]["status"] == "failed" and rows["bmc"]["failed_task"] == "Create the BMCs"
    assert rows["domains"]["status"] == "passed" and rows["domains"]["seconds"] == 1.0
    assert rows["firewall"] == {"name": "firewall", "status": "skipped", "seconds": 0.0, "failed_task": None,
                                "message": "not run: phase bmc failed before it"}
    assert [r["name"] for r in log.results()] == list(lab_report.BUILD_PHASES)


def test_a_phase_is_charged_for_its_own_tasks_only_not_for_the_phases_run_between_them():
    # site.yml removes the network phase's old bridges after every other host phase: the
    # network phase took its two seconds, not the whole build.
    log = run([("description", "ok", "lab", None), ("network", "ok", "bridge", None),
               ("disks", "ok", "disks", None), ("domains", "ok", "define", None), ("bmc", "ok", "vbmc", None),
               ("network", "skipped", "old bridges", None)])
    rows = dict((r["name"], r) for r in log.results())
    assert rows["network"]["seconds"] == 2.0 and rows["disks"]["seconds"] == 1.0 and rows["bmc"]["seconds"] == 1.0
    # Every second from the first task's start to the end is some phase's, once.
    assert sum(r["seconds"] for r in log.results()) == log.total_seconds() == 6.0


def test_a_play_task_counts_to_the_phase_before_it_and_all_skipped_is_skipped():
    log = run([("description", "ok", "lab", None), ("boot check", "skipped", "check", None),
               (None, "failed", "Release the lab's lock", "boom")])
    rows = dict((r["name"], r) for r in log.results())
    assert rows["boot check"]["status"] == "failed" and rows["boot check"]["failed_task"] == "Release the lab's lock"
    log = run([("description", "ok", "lab", None), ("boot check", "skipped", "check", None)])
    rows = dict((r["name"], r) for r in log.results())
    assert rows["boot check"]["status"] == "skipped" and "every task skipped" in rows["boot check"]["message"]
    assert rows["deploy"]["message"] == "not run by this run (its tags, or no host for it)"


def test_rescued_failures_are_forgotten():
    log = run([("undercloud", "failed", "wait", "timeout"), ("undercloud", "ok", "retry", None)])
    log.forget_failures()
    assert dict((r["name"], r["status"]) for r in log.results())["undercloud"] == "passed"


def test_teardown_comes_first_then_the_build():
    log = run([("teardown", "ok", "remove", None), ("description", "ok", "lab", None)])
    names = [r["name"] for r in log.results()]
    assert names[:2] == ["teardown", "description"] and len(names) == 16
    assert not lab_report.built_something(log.results()), "a teardown alone built nothing"
    log = run([("teardown", "ok", "remove", None), ("description", "ok", "lab", None),
               ("virthost", "failed", "Install", "no")])
    assert lab_report.built_something(log.results())


def test_logs_collected_after_a_failed_phase_come_last_and_leave_the_failure_its_own():
    assert lab_report.phase_of_role("labkit.tripleo.lab_logs") == "collect"
    built = [(phase, "ok", "t", None) for phase in ("description", "virthost", "network", "disks", "domains")]
    log = run([("teardown", "ok", "remove", None)] + built
              + [("bmc", "failed", "Create the BMCs", "port in use"), ("collect", "ok", "Gather", None)])
    rows = log.results()
    names = [r["name"] for r in rows]
    assert names[0] == "teardown" and names[-1] == "collect" and names[1:-1] == list(lab_report.BUILD_PHASES)
    statuses = dict((r["name"], r["status"]) for r in rows)
    assert statuses["bmc"] == "failed" and statuses["collect"] == "passed" and statuses["firewall"] == "skipped"
    assert "phase bmc FAILED" in lab_report.summary_lines("lab", rows, "/a")[0]


def test_junit_has_one_case_per_phase_with_failure_and_skips():
    log = run([("description", "ok", "lab", None), ("virthost", "failed", "Install", "no package foo\nmore")])
    rows = log.results()
    root = ET.fromstring(lab_report.junit_xml("nightly", rows, log.total_seconds()).split("\n", 1)[1])
    suite = root.find("testsuite")
    assert suite.get("tests") == "15" and suite.get("failures") == "1" and suite.get("skipped") == "13"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == list(lab_report.BUILD_PHASES)
    failure = cases[1].find("failure")
    assert failure.get("message") == "Install: no package foo" and "more" in failure.text
    assert cases[2].find("skipped").get("message") == "not run: phase virthost failed before it"
    assert cases[0].find("failure") is None and cases[0].find("skipped") is None


def test_timings_and_summary_lines():
    log = run([("description", "ok", "lab", None), ("virthost", "ok", "x", None), ("virthost", "ok", "y", None)])
    rows = log.results()
    record = lab_report.timings("nightly", rows, log.total_seconds(), "2026-11-22T00:00:00Z", "rebuild.yml", True)
    assert record["phases"] == {"description": 1.0, "virthost": 2.0} and record["total_seconds"] == 3.0
    assert record["results"]["deploy"] == "skipped"
    assert lab_report.summary_lines("nightly", rows, "/a")[0] == "lab nightly: every phase that ran passed (description, virthost)"
    failed = run([("bmc", "failed", "Create the BMCs", "port in use")]).results()
    assert lab_report.summary_lines("nightly", failed, "/a") == [
        "lab nightly: phase bmc FAILED at task 'Create the BMCs': port in use",
        "report: /a/index.html, /a/junit.xml"]
