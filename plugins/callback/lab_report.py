# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: lab_report
type: aggregate
short_description: The lab's report of a run - JUnit per phase, timings, the HTML page and picture
version_added: "0.2.0"
description:
  - Attributes every task of C(site.yml), C(teardown.yml), C(rebuild.yml) and C(collect.yml) to the
    lab's phase (the role that runs it; plays with C(lab_report_phase) set are that phase), and at the
    end writes into the lab's artifacts directory C(junit.xml) (one test case per phase, the failing
    task and its message on failure, phases not reached marked skipped), C(timings.json) (seconds
    per phase and in total; every run's line is appended to C(history/<lab>-timings.jsonl) beside
    the lab's directory, which teardown leaves), and C(index.html) with C(lab.svg), the picture of the lab.
  - Prints which phase failed, and where the report is, as the run's last lines.
  - Written for this collection because C(community.general.junit) reports one test case per task
    and knows no phases (a failed run shows no skipped phase), and C(ansible.posix.profile_roles)
    only prints role times to the screen.
  - Writes nothing in check mode, when the run never read a lab description, or when it only
    tore the lab down (teardown removes the lab's artifacts directory, and it stays removed).
requirements:
  - enabled with C(callbacks_enabled = labkit.tripleo.lab_report) (this repository's ansible.cfg does)
  - the C(graphviz) Python package and Graphviz's C(dot) for the picture (the page says when it is missing)
"""

import os
import time

from ansible import context
from ansible.plugins.callback import CallbackBase
from ansible_collections.labkit.tripleo.plugins.module_utils import lab_report
from ansible_collections.labkit.tripleo.plugins.module_utils import report_page


ARGUMENT_CHECKS = ("validate_argument_spec", "ansible.builtin.validate_argument_spec")


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "labkit.tripleo.lab_report"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.log = lab_report.PhaseLog(time.time())
        self.play_phase = None
        self.playbook = None
        self.lab = None
        self.artifacts_dir = None
        self.task_phase = {}
        self.reraises = set()

    def v2_playbook_on_start(self, playbook):
        if self.playbook is None:
            self.playbook = os.path.basename(playbook._file_name)

    def v2_playbook_on_play_start(self, play):
        self.play_phase = play.get_vars().get("lab_report_phase")

    def _task_started(self, task):
        # An include_role of the play (site.yml includes a phase only when it has work) is the
        # included role's phase: a skipped include is that phase skipped.
        role = task._role.get_name() if task._role else getattr(task, "_role_name", None)
        phase = self.play_phase or lab_report.phase_of_role(role)
        # A play's own task (the lock, a closing message), or a role's argument check (which runs
        # even when the role's tasks do not), says nothing about a phase unless it fails.
        counts = phase is not None and task.action not in ARGUMENT_CHECKS
        # site.yml's rescue fails the run again after a phase failed: that failure is already logged.
        if task.vars.get("lab_report_reraise"):
            self.reraises.add(task._uuid)
            return
        self.task_phase[task._uuid] = (self.log.task_started(phase, time.time()), counts)

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task_started(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._task_started(task)

    def _phase_of(self, result):
        return self.task_phase.get(result._task._uuid, (self.log.current or "description", False))[0]

    def _counts(self, result):
        return self.task_phase.get(result._task._uuid, (None, False))[1]

    def v2_runner_on_ok(self, result):
        facts = result._result.get("ansible_facts") or {}
        if facts.get("lab_artifacts_dir") and isinstance(facts.get("lab_model"), dict):
            self.artifacts_dir = facts["lab_artifacts_dir"]
            self.lab = facts["lab_model"].get("name")
        if self._counts(result):
            # add_host and other tasks run once for all hosts report a false condition here.
            status = "skipped" if result._result.get("skipped") else "ok"
            self.log.task_done(self._phase_of(result), status)

    def v2_runner_on_skipped(self, result):
        if self._counts(result):
            self.log.task_done(self._phase_of(result), "skipped")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        if result._task._uuid in self.reraises:
            return
        if ignore_errors:
            if self._counts(result):
                self.log.task_done(self._phase_of(result), "ok")
            return
        message = result._result.get("msg") or result._result.get("stderr") or result._result.get("message") or ""
        self.log.task_done(self._phase_of(result), "failed", task=result._task.get_name(),
                           message="%s: %s" % (result._host.get_name(), message))

    def v2_runner_on_unreachable(self, result):
        self.log.task_done(self._phase_of(result), "failed", task=result._task.get_name(),
                           message="%s unreachable: %s" % (result._host.get_name(), result._result.get("msg", "")))

    def v2_playbook_on_stats(self, stats):
        self.log.finish(time.time())
        if not any(stats.failures.values()) and not any(stats.dark.values()):
            self.log.forget_failures()
        if context.CLIARGS.get("check") or not self.artifacts_dir or not self.lab:
            return
        rows = self.log.results()
        if not lab_report.built_something(rows):
            # A teardown alone: the lab and its artifacts directory are gone, and stay gone.
            return
        total = self.log.total_seconds()
        ok = not any(r["status"] == "failed" for r in rows)
        started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.log.started))
        record = lab_report.timings(self.lab, rows, total, started,
                                    self.playbook, ok)
        try:
            if not os.path.isdir(self.artifacts_dir):
                os.makedirs(self.artifacts_dir, 0o700)
            report_page.write(self.artifacts_dir, self.lab, rows, record)
        except (IOError, OSError) as exc:
            self._display.warning("lab report: could not write %s: %s" % (self.artifacts_dir, exc))
            return
        for line in lab_report.summary_lines(self.lab, rows, self.artifacts_dir):
            self._display.display(line)
