#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: boot_check
short_description: Prove that every overcloud node network-boots on its provisioning NIC
version_added: "0.2.0"
description:
  - Before the undercloud exists, does what it will do to every node, for all nodes at once.
    It starts a throwaway DHCP/TFTP/HTTP responder (dnsmasq and a small HTTP server) in a network
    namespace wired to the lab's Open vSwitch bridge on the provisioning VLAN; each node's boot
    device set to network and the node powered on I(through its BMC) (IPMI or Redfish, the path
    Ironic takes). Then it watches each node's expected MAC ask DHCP for an address, fetch the
    boot file (the iPXE script over HTTP, or C(undionly.kpxe) over TFTP for a PXE ROM that is not
    iPXE) and run that script, which fetches a URL naming the node's MAC. Then every node is
    powered off through its BMC and the responder, the namespace and its OVS port are removed.
  - dnsmasq answers the lab's MACs only. The provisioning addresses exist only inside the
    namespace and on the VMs, never on the virthost's own interfaces.
  - Refuses to run, before powering anything on, when another DHCP server answers on the VLAN
    (an undercloud is up), when a node is already powered on (the check would cut it off), when
    a BMC does not answer, or when the namespace or port exists and is not the lab's.
  - Returns a row per node (DHCP seen, boot file fetched, boot script ran, seconds from power-on)
    and, for a node that did not boot, the last lines of its serial console log. A node that
    fails does not fail the module, its caller decides (the C(boot_check) role fails naming
    such nodes).
  - Leaves the host as it found it, so it reports C(changed=false). In check mode it runs the
    checks that change nothing (bridge, namespace, BMCs answering, nodes off) and boots nothing.
  - With I(state=absent) (teardown), removes what a check killed half-way left, the lab's
    namespace, the processes still in it (dnsmasq, the HTTP server), its marked OVS port and
    its working directory; only I(lab) is needed.
  - Written for this collection because no module offers a PXE responder in a namespace, and
    C(community.general.ipmi_boot) or C(community.general.redfish_command) do one node per call.
options:
  lab:
    description: Name of the lab; marks the OVS port and names the namespace.
    type: str
    required: true
  bridge:
    description: The lab's Open vSwitch bridge.
    type: str
  vlan:
    description: The provisioning VLAN (the access VLAN of the provisioning portgroup).
    type: int
  address:
    description: The responder's address with prefix length (the undercloud's C(local_ip)).
    type: str
  pool_start:
    description: First address handed to nodes.
    type: str
  pool_end:
    description: Last address handed to nodes.
    type: str
  nodes:
    description:
      - Every node to boot, with C(name), C(mac) (its provisioning MAC), C(console_log) and
        C(bmc) (C(type) C(ipmi) or C(redfish), C(address), C(port)). Redfish systems are addressed
        by node name.
    type: list
    elements: dict
  username:
    description: BMC user.
    type: str
  password:
    description: BMC password.
    type: str
    no_log: true
  timeout:
    description: Seconds every node together has to run its boot script after power-on.
    type: int
    default: 300
  probe_seconds:
    description:
      - Seconds to listen for an answer from another DHCP server before starting. dnsmasq, what
        an undercloud runs, pings an address for up to 3 s before it offers it.
    type: int
    default: 6
  pxe_file:
    description:
      - The iPXE image served over TFTP to a PXE ROM that is not iPXE. When missing, such a ROM
        gets no boot file (qemu's own NIC ROMs run iPXE already).
    type: path
    default: /usr/lib/ipxe/undionly.kpxe
  work_dir:
    description: Where the responder keeps its logs and leases while it runs; removed afterwards.
    type: path
    default: /run/labkit/boot-check
  state:
    description:
      - C(present) runs the check (every option above is then required); C(absent) removes what a
        killed check left.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - labkit.tripleo.attributes
requirements:
  - dnsmasq, ip (iproute2), ovs-vsctl and ipmitool on the virthost
author:
  - labkit.tripleo contributors
"""

EXAMPLES = r"""
- name: Network-boot every node through its BMC
  labkit.tripleo.boot_check:
    lab: "{{ lab_model.name }}"
    bridge: "{{ lab_model.network.bridge }}"
    vlan: 100
    address: 192.168.24.1/24
    pool_start: 192.168.24.100
    pool_end: 192.168.24.120
    nodes:
      - name: control-1
        mac: "52:54:1a:2b:01:00"
        console_log: /var/log/libvirt/qemu/control-1-console.log
        bmc: {type: ipmi, address: 127.0.0.1, port: 7001}
    username: admin
    password: "{{ bmc_password }}"
  register: boot_check
"""

RETURN = r"""
removed:
  description: With I(state=absent), what a killed check had left and was removed.
  returned: state=absent
  type: list
  elements: str
ok:
  description: Whether every node ran its boot script.
  returned: success
  type: bool
seconds:
  description: Wall time of the whole check.
  returned: success
  type: float
nodes:
  description: One row per node, in the order given.
  returned: success
  type: list
  elements: dict
  sample:
    - name: control-1
      mac: "52:54:1a:2b:01:00"
      address: 192.168.24.101
      dhcp_seen: true
      dhcp_seconds: 12.5
      boot_file_fetched: true
      boot_file_seconds: 14.0
      boot_script_ran: true
      seconds: 14.5
      ok: true
      error: null
      console_tail: []
"""

import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.labkit.tripleo.plugins.module_utils import ipmitool as ipmi
from ansible_collections.labkit.tripleo.plugins.module_utils import pxe_responder as pxe
from ansible_collections.labkit.tripleo.plugins.module_utils import redfish
from ansible_collections.labkit.tripleo.plugins.module_utils.netns import VlanNamespace, fork_into

PARALLEL = 8
POWER_WAIT = 30
MAC_RE = re.compile(r"([0-9a-f]{2}:){5}[0-9a-f]{2}\Z")
# The lab name becomes a namespace name, a directory and an OVS mark.
LAB_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,31}\Z")


# --------------------------------------------------------------- BMCs

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


# --------------------------------------------------------------- inside the namespace

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


def probe_dhcp(write_fd, interface, own_mac, macs, seconds):
    """Broadcast a DHCPDISCOVER for each MAC from 0.0.0.0 and report every offer as JSON on
    ``write_fd``. Packet sockets: the namespace's own address must not be the probe's source."""
    eth_p_ip = 0x0800
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(eth_p_ip))
    sock.bind((interface, eth_p_ip))
    xids = set()
    for index, mac in enumerate(macs):
        xid = (os.getpid() << 8 | index) & 0xFFFFFFFF
        xids.add(xid)
        sock.send(pxe.discover_frame(own_mac, mac, xid))
    offers = []
    deadline = time.time() + seconds
    while time.time() < deadline:
        ready, _w, _x = select.select([sock], [], [], max(0.0, deadline - time.time()))
        if not ready:
            break
        payload = pxe.dhcp_from_frame(sock.recv(4096))
        offer = pxe.parse_offer(payload, xids) if payload else None
        if offer and offer not in offers:
            offers.append(offer)
    os.write(write_fd, json.dumps(offers).encode("utf-8"))


def read_port_mac(namespace, port):
    proc = subprocess.run(["ip", "-n", namespace, "-j", "link", "show", "dev", port], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, check=False)
    return json.loads(proc.stdout)[0]["address"] if proc.returncode == 0 else None


def foreign_dhcp_offers(namespace, port, own_mac, macs, seconds):
    read_fd, write_fd = os.pipe()
    pid = fork_into(namespace, probe_dhcp, write_fd, port, own_mac, macs, seconds)
    os.close(write_fd)
    chunks = []
    while True:
        chunk = os.read(read_fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_fd)
    _pid, status = os.waitpid(pid, 0)
    if not chunks or os.WEXITSTATUS(status) != 0:
        raise RuntimeError("the DHCP probe in namespace %s failed" % namespace)
    return json.loads(b"".join(chunks).decode("utf-8"))


# --------------------------------------------------------------- the check

class Tail(object):
    """New complete lines of a growing file."""

    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.partial = ""

    def lines(self):
        try:
            with open(self.path) as handle:
                handle.seek(self.offset)
                text = handle.read()
                self.offset = handle.tell()
        except (IOError, OSError):
            return []
        text = self.partial + text
        lines = text.split("\n")
        self.partial = lines.pop()
        return lines


def read_end(path, size=20000):
    """The last ``size`` characters of a console log ('' when there is none yet)."""
    try:
        with open(path, errors="replace") as handle:
            handle.seek(max(0, os.path.getsize(path) - size))
            return handle.read()
    except (IOError, OSError):
        return ""


def console_tail(path):
    text = read_end(path)
    return pxe.console_tail(text) if text else ["(the console log %s is empty or missing)" % path]


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
        dns_tail, http_tail = Tail(dnsmasq_log), Tail(http_log)
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
                if pxe.FIRMWARE_GAVE_UP in read_end(node["console_log"]):
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
        try:
            os.rmdir(os.path.dirname(work))
        except OSError:
            pass  # another lab's check is using it, or it holds something else

    rows = progress.report()
    by_name = dict((n["name"], n) for n in nodes)
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
            module.warn("%s: could not be powered off through its BMC: %s" % (row["name"], off_errors[row["name"]]))
        row["console_tail"] = [] if row["ok"] else console_tail(by_name[row["name"]]["console_log"])
        row["console_log"] = by_name[row["name"]]["console_log"]
    return rows, round(time.time() - started, 1)


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


def remove_leftovers(module, params):
    """What a check killed half-way left: the namespace and its processes, the port, the work dir."""
    space = VlanNamespace(lambda argv: module.run_command(argv), pxe.namespace_name(params["lab"]),
                          params["bridge"] or "", pxe.port_name(params["lab"]), 0, params["lab"])
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
        try:
            os.rmdir(params["work_dir"])
        except OSError:
            pass  # another lab's check is using it
    return {"changed": bool(found), "removed": found, "ok": None, "seconds": 0.0, "nodes": []}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            lab=dict(type="str", required=True),
            bridge=dict(type="str"),
            vlan=dict(type="int"),
            address=dict(type="str"),
            pool_start=dict(type="str"),
            pool_end=dict(type="str"),
            nodes=dict(type="list", elements="dict"),
            username=dict(type="str"),
            password=dict(type="str", no_log=True),
            timeout=dict(type="int", default=300),
            probe_seconds=dict(type="int", default=6),
            pxe_file=dict(type="path", default="/usr/lib/ipxe/undionly.kpxe"),
            work_dir=dict(type="path", default="/run/labkit/boot-check"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_if=[("state", "present", ("bridge", "vlan", "address", "pool_start", "pool_end", "nodes",
                                           "username", "password"))],
        supports_check_mode=True,
    )
    params = module.params
    if not LAB_RE.match(params["lab"]):
        module.fail_json(msg="boot check: %r is not a lab name" % params["lab"])
    if params["state"] == "absent":
        module.exit_json(**remove_leftovers(module, params))
    try:
        address, netmask = pxe.responder_addresses(params["address"], params["pool_start"], params["pool_end"])
    except ValueError as exc:
        module.fail_json(msg="boot check addresses: %s" % exc)
    # MACs reach dnsmasq's command line, where a comma would add options.
    bad = [n.get("name") for n in params["nodes"] if not MAC_RE.match(str(n.get("mac", "")).lower())]
    if bad:
        module.fail_json(msg="boot check: nodes without a valid MAC address: %s" % ", ".join(map(str, bad)))
    params["work_dir"] = os.path.join(params["work_dir"], params["lab"])
    space = VlanNamespace(lambda argv: module.run_command(argv), pxe.namespace_name(params["lab"]),
                          params["bridge"], pxe.port_name(params["lab"]), params["vlan"], params["lab"])
    problems = preflight(module, params, space)
    if problems:
        module.fail_json(msg="the boot check of lab %s cannot run, nothing was changed: %s"
                         % (params["lab"], "; ".join(problems)))
    if module.check_mode:
        module.exit_json(changed=False, ok=None, seconds=0.0, nodes=[],
                         msg="check mode: %d nodes would be network-booted" % len(params["nodes"]))
    rows, seconds = run_check(module, params, space, address.split("/")[0], netmask, address)
    module.exit_json(changed=False, ok=all(r["ok"] for r in rows), seconds=seconds, nodes=rows)


if __name__ == "__main__":
    main()
