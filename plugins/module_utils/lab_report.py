# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a run of the lab's playbooks did, phase by phase: the phases in build order, each
task's result attributed to its phase, and the JUnit and timings documents nightly
pipelines read. Fed by the callback plugin ``labkit.tripleo.lab_report``; pure Python.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import xml.etree.ElementTree as ET

# The build order (docs/phases.md), each phase with the roles that build it.
PHASES = (
    ("description", ("lab",)),
    ("virthost", ("virthost",)),
    ("network", ("ovs_bridge", "libvirt_network")),
    ("disks", ("vm_disks",)),
    ("domains", ("vm_domains",)),
    ("bmc", ("vbmc", "redfish_bmc")),
    ("firewall", ("bmc_firewall",)),
    ("verify", ("lab_summary",)),
    ("instackenv", ("instackenv",)),
    ("boot check", ("boot_check",)),
    ("undercloud", ("undercloud_vm", "undercloud")),
    ("register", ("node_registration",)),
    ("profiles", ("node_profiles",)),
    ("deploy", ("overcloud_deploy",)),
    ("validate", ("overcloud_validation",)),
)
BUILD_PHASES = tuple(name for name, _roles in PHASES)
# Plays that set lab_report_phase run as one phase of their own, listed before the build.
PLAY_PHASES = ("teardown", "collect", "snapshot")
_PHASE_OF_ROLE = dict((role, phase) for phase, roles in PHASES for role in roles)
# The logs gathered when a phase failed (site.yml's rescue) are the collect phase, as in collect.yml.
_PHASE_OF_ROLE["lab_logs"] = "collect"


def phase_of_role(role_name):
    """'labkit.tripleo.vbmc' or 'vbmc' -> 'bmc'; None for a task outside the lab's roles."""
    if not role_name:
        return None
    return _PHASE_OF_ROLE.get(role_name.split(".")[-1])


class PhaseLog(object):
    """Every task's outcome, by phase, in the order the run met them."""

    def __init__(self, started):
        self.started = started
        self.current = None
        self.phases = {}
        self.order = []
        self.failed_phase = None
        self.finished = None
        # (phase, when) of the task running now: the time up to the next task's start is its phase's.
        self.running = None

    def _phase(self, name):
        if name not in self.phases:
            self.phases[name] = {"name": name, "ok": 0, "skipped": 0, "failures": [], "seconds": 0.0}
            self.order.append(name)
        return self.phases[name]

    def task_started(self, phase, when):
        """A task begins; a task outside any phase (a play's own task) counts to the phase before it.

        A phase's time is the sum of its tasks' spans, each from its start to the next task's
        start: a phase whose tasks are not next to each other (the network phase's removal of
        old bridges at the end of the build) is not charged for the phases run in between.
        """
        self.current = phase or self.current or "description"
        self._phase(self.current)
        self._close(when)
        self.running = (self.current, when)
        return self.current

    def _close(self, when):
        if self.running is not None:
            phase, started = self.running
            self.phases[phase]["seconds"] += max(0.0, when - started)
            self.running = None

    def task_done(self, phase, status, task=None, message=None):
        entry = self._phase(phase)
        if status == "failed":
            entry["failures"].append({"task": task, "message": message})
            if self.failed_phase is None:
                self.failed_phase = phase
        elif status == "skipped":
            entry["skipped"] += 1
        else:
            entry["ok"] += 1

    def forget_failures(self):
        """The run ended without a failed host: every failure seen was rescued or ignored."""
        for entry in self.phases.values():
            entry["failures"] = []
        self.failed_phase = None

    def finish(self, when):
        self._close(when)
        self.finished = when

    def results(self):
        """One row per phase: the plays run before the build (a rebuild's teardown), the build phases
        in build order (those not run marked skipped), then what ran after them (the logs a failed
        phase had collected)."""
        first_build = min([self.order.index(p) for p in BUILD_PHASES if p in self.phases] or [len(self.order)])
        plays_before = [p for p in self.order[:first_build] if p in PLAY_PHASES]
        plays_after = [p for p in self.order[first_build:] if p in PLAY_PHASES]
        ran = plays_before + [p for p in BUILD_PHASES if p in self.phases]
        rows = []
        for name in ran + [p for p in BUILD_PHASES if p not in self.phases] + plays_after:
            entry = self.phases.get(name)
            if entry is None:
                after = self.failed_phase is not None and BUILD_PHASES.index(name) > _build_index(self.failed_phase)
                rows.append({"name": name, "status": "skipped", "seconds": 0.0, "failed_task": None,
                             "message": "not run: phase %s failed before it" % self.failed_phase if after
                             else "not run by this run (its tags, or no host for it)"})
                continue
            seconds = round(entry["seconds"], 1)
            if entry["failures"]:
                failure = entry["failures"][0]
                rows.append({"name": name, "status": "failed", "seconds": seconds, "failed_task": failure["task"],
                             "message": failure["message"]})
            elif entry["ok"]:
                rows.append({"name": name, "status": "passed", "seconds": seconds, "failed_task": None,
                             "message": None})
            else:
                rows.append({"name": name, "status": "skipped", "seconds": seconds, "failed_task": None,
                             "message": "every task skipped (the phase is off or has nothing to do)"})
        return rows

    def total_seconds(self):
        return round((self.finished or self.started) - self.started, 1)


def built_something(rows):
    """Whether a build phase past the description ran (passed or failed)."""
    return any(r["status"] != "skipped" for r in rows if r["name"] in BUILD_PHASES[1:])


def _build_index(phase):
    return BUILD_PHASES.index(phase) if phase in BUILD_PHASES else -1


def junit_xml(lab, rows, total_seconds):
    """A JUnit document: one test suite for the lab, one test case per phase."""
    suite = ET.Element("testsuite", {
        "name": "labkit lab %s" % lab, "tests": str(len(rows)),
        "failures": str(sum(1 for r in rows if r["status"] == "failed")),
        "errors": "0", "skipped": str(sum(1 for r in rows if r["status"] == "skipped")),
        "time": "%.1f" % total_seconds})
    for row in rows:
        case = ET.SubElement(suite, "testcase", {"classname": "labkit.%s" % lab, "name": row["name"],
                                                 "time": "%.1f" % row["seconds"]})
        if row["status"] == "failed":
            failure = ET.SubElement(case, "failure", {"message": "%s: %s" % (row["failed_task"], _first_line(row["message"])),
                                                      "type": "phase failed"})
            failure.text = "task: %s\n%s" % (row["failed_task"], row["message"] or "")
        elif row["status"] == "skipped":
            ET.SubElement(case, "skipped", {"message": row["message"]})
    suites = ET.Element("testsuites", {"name": "labkit.tripleo", "time": "%.1f" % total_seconds})
    suites.append(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _first_line(text):
    lines = (text or "").strip().splitlines()
    return lines[0][:300] if lines else ""


def timings(lab, rows, total_seconds, started, playbook, ok):
    """timings.json of one run; one line of it is appended to the history."""
    return {"lab": lab, "playbook": playbook, "started": started, "ok": ok, "total_seconds": total_seconds,
            "phases": dict((r["name"], r["seconds"]) for r in rows if r["status"] != "skipped" or r["seconds"]),
            "results": dict((r["name"], r["status"]) for r in rows)}


def history_line(record):
    return json.dumps(record, sort_keys=True) + "\n"


def summary_lines(lab, rows, report_dir):
    """What the run's last lines say: the phase that failed and where the report is."""
    failed = [r for r in rows if r["status"] == "failed"]
    if failed:
        row = failed[0]
        failure = (lab, row["name"], row["failed_task"], _first_line(row["message"]))
        lines = ["lab %s: phase %s FAILED at task %r: %s" % failure]
    else:
        lines = ["lab %s: every phase that ran passed (%s)" % (
            lab, ", ".join(r["name"] for r in rows if r["status"] == "passed") or "none")]
    lines.append("report: %s/index.html, %s/junit.xml" % (report_dir, report_dir))
    return lines
