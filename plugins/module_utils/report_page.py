# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report of a run in the lab's artifacts directory: junit.xml, timings.json (its history
in ``history/<lab>-timings.jsonl`` beside the lab's directory), lab.svg and index.html, one self-contained page (the picture inline, no script,
no stylesheet or image from anywhere else) that people open after a night's rebuild.

The page is built from files that hold no secret (lab.json, boot-check.json,
ironic-nodes.json, the run's phases); the BMC password file is never read.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import html
import json
import os
import re

from ansible_collections.labkit.tripleo.plugins.module_utils import lab_picture, lab_report

STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: #202124; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border: 1px solid #dadce0; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f1f3f4; }
.passed { color: #137333; } .failed { color: #c5221f; font-weight: bold; } .skipped { color: #80868b; }
.picture svg { max-width: 100%; height: auto; }
code { font-size: 0.95em; }
"""


def _read_json(path):
    try:
        with open(path) as handle:
            return json.load(handle)
    except (IOError, OSError, ValueError):
        return None


def _write(path, text, mode=0o644):
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        handle.write(text)
    os.chmod(tmp, mode)
    os.rename(tmp, path)


def _inline_svg(svg_text):
    """The SVG element alone (no XML declaration or DOCTYPE), to sit inside the page."""
    start = svg_text.find("<svg")
    return svg_text[start:] if start >= 0 else ""


def _cell(value):
    return "<td>%s</td>" % html.escape("" if value is None else str(value))


def vm_rows(summary, boot_check, ironic):
    boot = dict((row["name"], row) for row in (boot_check or {}).get("nodes", []))
    nodes = dict((row["name"], row) for row in (ironic or {}).get("nodes", []))
    rows = []
    for vm in summary.get("vms", []):
        macs = "; ".join("%s: %s" % (pg, ", ".join(m)) for pg, m in sorted(vm.get("macs_by_portgroup", {}).items()))
        bmc = vm.get("bmc")
        endpoint = "%s %s:%s" % (bmc["type"], bmc["address"], bmc["port"]) if bmc else ""
        disks = ", ".join("%s %s GiB" % (d["device"], d["size_gb"]) for d in vm.get("disks", []))
        check = boot.get(vm["name"])
        boot_text = "" if check is None else ("booted" if check.get("ok") else "FAILED: %s" % check.get("error"))
        node = nodes.get(vm["name"])
        ironic_text = "" if node is None else "%s / power %s" % (node.get("provision_state"), node.get("power_state"))
        rows.append("<tr>%s</tr>" % "".join(_cell(v) for v in (
            vm["name"], "undercloud" if vm.get("role") == "undercloud" else vm.get("profile"), vm.get("vcpus"),
            vm.get("memory_mb"), disks, macs, endpoint, vm.get("power", ""), ironic_text, boot_text)))
    return rows


def phase_rows(rows):
    out = []
    for row in rows:
        detail = row["message"] or ""
        if row["failed_task"]:
            detail = "task %s: %s" % (row["failed_task"], detail)
        out.append('<tr><td>%s</td><td class="%s">%s</td><td>%.1f s</td><td>%s</td></tr>' % (
            html.escape(row["name"]), row["status"], row["status"], row["seconds"], html.escape(detail)))
    return out


def log_links(artifacts_dir):
    logs = os.path.join(artifacts_dir, "logs")
    if not os.path.isdir(logs):
        return []
    links = []
    for root, _dirs, files in os.walk(logs):
        for name in sorted(files):
            relative = os.path.relpath(os.path.join(root, name), artifacts_dir)
            links.append('<li><a href="%s">%s</a></li>' % (html.escape(relative, quote=True), html.escape(relative)))
    return sorted(links)


def page(lab, rows, record, summary, svg_text, boot_check, ironic, links, picture_problem=None):
    ok = record["ok"]
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>lab %s: %s</title>" % (html.escape(lab), "up" if ok else "FAILED"),
             "<style>%s</style></head><body>" % STYLE,
             '<h1>lab %s <span class="%s">%s</span></h1>' % (
                 html.escape(lab), "passed" if ok else "failed", "up" if ok else "FAILED"),
             "<p>%s, %s, %.1f s in all.</p>" % (html.escape(record["playbook"] or "run"), html.escape(record["started"]),
                                                record["total_seconds"])]
    parts.append("<h2>Picture</h2>")
    if svg_text:
        parts.append('<div class="picture">%s</div>' % _inline_svg(svg_text))
    else:
        parts.append("<p>No picture: %s</p>" % html.escape(picture_problem or "lab.json is not written yet"))
    parts.append("<h2>Phases</h2><table><tr><th>phase</th><th>result</th><th>time</th><th>detail</th></tr>")
    parts.extend(phase_rows(rows))
    parts.append("</table>")
    if summary:
        parts.append("<h2>VMs</h2><table><tr><th>name</th><th>profile</th><th>vCPUs</th><th>memory (MiB)</th>"
                     "<th>disks</th><th>MACs by portgroup</th><th>BMC</th><th>power</th><th>Ironic</th>"
                     "<th>boot check</th></tr>")
        parts.extend(vm_rows(summary, boot_check, ironic))
        parts.append("</table>")
    parts.append("<h2>Logs</h2>")
    parts.append("<ul>%s</ul>" % "".join(links) if links else "<p>No logs collected (playbooks/collect.yml).</p>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


# An <a>, <img>, <script> or <link> pointing off the page: the page must load nothing.
_EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.IGNORECASE)


def external_references(text):
    return _EXTERNAL.findall(text)


def history_path(artifacts_dir, lab):
    """Where every run's timings of a lab are kept, one JSON line each."""
    return os.path.join(os.path.dirname(os.path.normpath(artifacts_dir)), "history", "%s-timings.jsonl" % lab)


def write(artifacts_dir, lab, rows, record):
    """Every report file of a run; returns the paths written."""
    written = []
    path = os.path.join(artifacts_dir, "junit.xml")
    _write(path, lab_report.junit_xml(lab, rows, record["total_seconds"]))
    written.append(path)
    path = os.path.join(artifacts_dir, "timings.json")
    _write(path, json.dumps(record, indent=2, sort_keys=True) + "\n")
    written.append(path)
    # Beside the lab's directory, which teardown removes: a rebuild keeps the history.
    history = history_path(artifacts_dir, lab)
    if not os.path.isdir(os.path.dirname(history)):
        os.makedirs(os.path.dirname(history), 0o755)
    with open(history, "a") as handle:
        handle.write(lab_report.history_line(record))
    summary = _read_json(os.path.join(artifacts_dir, "lab.json"))
    svg_text, problem = None, None
    if summary:
        try:
            svg_text = lab_picture.svg(summary)
        except ImportError:
            problem = "the graphviz Python package is not installed on the controller"
        except Exception as exc:  # graphviz raises its own types (ExecutableNotFound, CalledProcessError)
            problem = "Graphviz could not draw it: %s" % exc
        if svg_text:
            path = os.path.join(artifacts_dir, "lab.svg")
            _write(path, svg_text)
            written.append(path)
    text = page(lab, rows, record, summary, svg_text, _read_json(os.path.join(artifacts_dir, "boot-check.json")),
                _read_json(os.path.join(artifacts_dir, "ironic-nodes.json")), log_links(artifacts_dir), problem)
    path = os.path.join(artifacts_dir, "index.html")
    _write(path, text)
    written.append(path)
    return written
