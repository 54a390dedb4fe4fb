# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The boot check's run: every node's BMC driven in parallel, the responders (dnsmasq and a
small HTTP server) started in the lab's namespace on the provisioning VLAN, each node's
progress followed until it ran the boot script, the firmware gave up or time ran out, then
everything the check started removed. The module ``boot_check`` is its arguments and result."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.labkit.tripleo.plugins.module_utils import console_log
from ansible_collections.labkit.tripleo.plugins.module_utils import ipmitool as ipmi
from ansible_collections.labkit.tripleo.plugins.module_utils import pxe_responder as pxe
from ansible_collections.labkit.tripleo.plugins.module_utils import redfish
from ansible_collections.labkit.tripleo.plugins.module_utils.dhcp_probe import foreign_dhcp_offers, read_port_mac
from ansible_collections.labkit.tripleo.plugins.module_utils.netns import VlanNamespace, fork_into

PARALLEL = 8
POWER_WAIT = 30


def node_bmc(params, node):
    bmc = node["bmc"]
    if bmc["type"] == "redfish":
        return redfish.System(redfish.base_url(bmc["address"], int(bmc["port"])), node["name"],
                              params["username"], params["password"])
    return ipmi.Bmc({"ipmitool": "ipmitool", "interface": "lanplus", "username": params["username"],
                     "password": params["password"], "retries": 3, "timeout": 2},
                    {"name": node["name"], "address": bmc["address"], "port": int(bmc["port"])})


def network_boot(bmc):
    """Boot device network, then power on: what Ironic asks of a BMC before PXE."""
    if isinstance(bmc, redfish.System):
        bmc.set_boot_once("Pxe")
    else:
        bmc.run("chassis", "bootdev", "pxe")
    bmc.set_power("on", POWER_WAIT)


def on_every_node(params, action):
    """``action(node, bmc)`` for every node in parallel; {name: error text or None}."""
    def run(node):
        try:
            action(node, node_bmc(params, node))
            return node["name"], None
        except (ipmi.BmcError, redfish.RedfishError, ValueError) as exc:
            return node["name"], str(exc)
    with ThreadPoolExecutor(max_workers=min(PARALLEL, len(params["nodes"]) or 1)) as pool:
        return dict(pool.map(run, params["nodes"]))


def serve_http(server_ip, log_path, boot_script, booted_script):
    """The boot check's HTTP server; each request is logged as a JSON line."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    log = open(log_path, "a", buffering=1)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            log.write(json.dumps({"time": time.time(), "client": self.client_address[0], "path": self.path}) + "\n")
            if self.path.split("?")[0] == pxe.BOOT_SCRIPT_PATH:
                body = boot_script
            elif self.path.startswith(pxe.BOOTED_PATH):
                body = booted_script
            else:
                self.send_error(404)
                return
            data = body.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    ThreadingHTTPServer((server_ip, pxe.HTTP_PORT), Handler).serve_forever()


def run_check(module, params, space, server_ip, netmask, address):
    work = params["work_dir"]
    nodes = params["nodes"]
    macs = [n["mac"].lower() for n in nodes]
    started = time.time()
    dnsmasq = http_pid = None
    try:
        space.create(address)
        own_mac = read_port_mac(space.name, space.port)
        offers = foreign_dhcp_offers(space.name, space.port, own_mac, [own_mac] + macs, params["probe_seconds"])
        if offers:
            module.fail_json(msg="another DHCP server answers on VLAN %d of bridge %s (%s), so the boot check "
                                 "would compete with it (is the undercloud up?); nothing was powered on"
                             % (params["vlan"], params["bridge"],
                                ", ".join("%s offered %s" % (s, o) for s, o in offers)))
        if os.path.isdir(work):
            shutil.rmtree(work)
        os.makedirs(work, 0o700)
        http_log = os.path.join(work, "http.log")
        dnsmasq_log = os.path.join(work, "dnsmasq.log")
        http_pid = fork_into(space.name, serve_http, server_ip, http_log,
                             pxe.boot_script(server_ip), pxe.booted_script())
        tftp_root = None
        if os.path.isfile(params["pxe_file"]):
            tftp_root = os.path.join(work, "tftp")
            os.makedirs(tftp_root)
            shutil.copy(params["pxe_file"], tftp_root)
        argv = pxe.dnsmasq_argv(module.get_bin_path("dnsmasq", required=True), space.port, server_ip,
                                params["pool_start"], params["pool_end"], netmask, macs, dnsmasq_log,
                                os.path.join(work, "leases"), tftp_root, os.path.basename(params["pxe_file"]))
        with open(os.path.join(work, "dnsmasq.out"), "w") as out:
            dnsmasq = subprocess.Popen(["ip", "netns", "exec", space.name] + argv, stdout=out, stderr=out,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        time.sleep(0.5)
        if dnsmasq.poll() is not None:
            with open(os.path.join(work, "dnsmasq.out")) as out:
                module.fail_json(msg="dnsmasq did not start in namespace %s: %s" % (space.name, out.read().strip()))

        progress = pxe.BootProgress(nodes)

        def boot(node, bmc):
            network_boot(bmc)
            progress.powered_on(node["mac"], time.time())
        power_errors = on_every_node(params, boot)
        dns_tail, http_tail = console_log.Tail(dnsmasq_log), console_log.Tail(http_log)
        gave_up = set()
        waiting = [n for n in nodes if not power_errors[n["name"]]]
        deadline = time.time() + params["timeout"]
        while waiting and time.time() < deadline:
            now = time.time()
            for line in dns_tail.lines():
                event = pxe.parse_dnsmasq_line(line)
                if event:
                    progress.dnsmasq_event(event, now)
            for line in http_tail.lines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                progress.http_request(entry["client"], entry["path"], entry["time"])
            rows = dict((r["name"], r) for r in progress.report())
            waiting = [n for n in waiting if not rows[n["name"]]["ok"]]
            for node in waiting:
                if pxe.FIRMWARE_GAVE_UP in console_log.read_end(node["console_log"]):
                    gave_up.add(node["name"])
            waiting = [n for n in waiting if n["name"] not in gave_up]
            time.sleep(0.5)
        off_errors = on_every_node(params, lambda node, bmc: bmc.set_power("off", POWER_WAIT))
    finally:
        if dnsmasq is not None and dnsmasq.poll() is None:
            dnsmasq.terminate()
            dnsmasq.wait()
        if http_pid:
            os.kill(http_pid, signal.SIGTERM)
            os.waitpid(http_pid, 0)
        space.remove()
        if os.path.isdir(work):
            shutil.rmtree(work)
        remove_empty_dirs(os.path.dirname(work))

    rows, warnings = judge(progress.report(), nodes, power_errors, gave_up, off_errors)
    for warning in warnings:
        module.warn(warning)
    return rows, round(time.time() - started, 1)


def remove_empty_dirs(work_dir):
    """The check's directory and its parent (/run/labkit/boot-check, /run/labkit) when nothing
    else is in them: another lab's check, or the Redfish emulator's pid file, keeps them."""
    for path in (work_dir, os.path.dirname(work_dir)):
        try:
            os.rmdir(path)
        except OSError:
            return


def judge(rows, nodes, power_errors, gave_up, off_errors):
    """Each node's verdict and why it failed, from its boot progress and what its BMC said;
    with the console's last lines of each node that did not boot. Returns (rows, warnings)."""
    by_name = dict((n["name"], n) for n in nodes)
    warnings = []
    for row in rows:
        row["error"] = power_errors[row["name"]]
        if row["error"]:
            row["ok"] = False
            row["error"] = "BMC: " + row["error"]
        elif not row["ok"]:
            row["error"] = pxe.failure_reason(row)
            if row["name"] in gave_up:
                row["error"] += "; the firmware gave up (%s)" % pxe.FIRMWARE_GAVE_UP
        if off_errors.get(row["name"]):
            warnings.append("%s: could not be powered off through its BMC: %s" % (row["name"], off_errors[row["name"]]))
        row["console_tail"] = [] if row["ok"] else console_log.file_tail(by_name[row["name"]]["console_log"])
        row["console_log"] = by_name[row["name"]]["console_log"]
    return rows, warnings


def preflight(module, params, space):
    problems = []
    if not module.get_bin_path("dnsmasq"):
        problems.append("dnsmasq is not installed on the virthost")
    why = space.preflight()
    if why:
        problems.append(why)
    states = {}

    def read_power(node, bmc):
        states[node["name"]] = bmc.power()
    errors = on_every_node(params, read_power)
    for name, error in sorted(errors.items()):
        if error:
            problems.append("the BMC of %s does not answer: %s" % (name, error))
    running = sorted(name for name, state in states.items() if state == "on")
    if running:
        problems.append("powered on already: %s (the check powers nodes on and off; power them off first)"
                        % ", ".join(running))
    return problems


def lab_namespace(module, lab, bridge, vlan):
    """The lab's boot-check namespace, its port on ``bridge`` tagged ``vlan``."""
    return VlanNamespace(module.run_command, pxe.namespace_name(lab), bridge, pxe.port_name(lab), vlan, lab)


def remove_leftovers(module, params):
    """What a check killed half-way left: the namespace and its processes, the port, the work dir."""
    space = lab_namespace(module, params["lab"], params["bridge"] or "", 0)
    work = os.path.join(params["work_dir"], params["lab"])
    found = []
    if space.port_owner() == params["lab"]:
        found.append("port %s" % space.port)
    if space.exists():
        found.append("namespace %s" % space.name)
    if os.path.isdir(work):
        found.append("directory %s" % work)
    if found and not module.check_mode:
        found = space.remove() + (["directory %s" % work] if os.path.isdir(work) else [])
        if os.path.isdir(work):
            shutil.rmtree(work)
        remove_empty_dirs(params["work_dir"])
    return {"changed": bool(found), "removed": found, "ok": None, "seconds": 0.0, "nodes": []}
