# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small Redfish client: what the lab asks of a system's BMC (power, one-time boot device).

Only the calls Ironic's own redfish driver makes for the same actions, over basic auth, so a
lab proven through this client is proven on Ironic's path.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import socket
import time

from ansible.module_utils.urls import open_url


# Where the lab's Redfish emulator answers, for which systems: the options of the modules that run
# or read it (doc fragment labkit.tripleo.redfish).
SERVICE_ARGS = dict(
    systems=dict(type="list", elements="str", default=[]),
    address=dict(type="str", default="127.0.0.1"),
    port=dict(type="int", default=8000),
    username=dict(type="str", default="admin"),
)


def base_url(address, port):
    """sushy-tools serves plain HTTP; an IPv6 address goes in brackets."""
    host = "[%s]" % address if ":" in address else address
    return "http://%s:%d" % (host, port)


def request(url, username, password, method="GET", body=None, timeout=10):
    """JSON in, JSON (or None for an empty answer) out; HTTP errors raise."""
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body)
        headers["Content-Type"] = "application/json"
    response = open_url(url, method=method, data=data, url_username=username, url_password=password,
                        force_basic_auth=True, timeout=timeout, validate_certs=False, headers=headers)
    text = response.read().decode("utf-8")
    return json.loads(text) if text.strip() else None


def port_answers(address, port, timeout=1.0):
    """Whether something accepts TCP connections on ``address``:``port``."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        return sock.connect_ex((address, port)) == 0
    finally:
        sock.close()


def read_systems(address, port, username, password, names):
    """Every named system's Id and PowerState, and the names that did not answer with why."""
    base = base_url(address, port)
    systems, failures = [], []
    for name in names:
        path = "/redfish/v1/Systems/%s" % name
        try:
            doc = request(base + path, username, password, timeout=5)
        except Exception as exc:  # any failure to answer is reported per system
            failures.append("%s (%s%s): %s" % (name, base, path, getattr(exc, "reason", None) or exc))
            continue
        systems.append({"name": name, "id": doc.get("Id"), "path": path, "power_state": doc.get("PowerState")})
    return systems, failures


def wait_for_systems(address, port, username, password, names, timeout, exited=lambda: False, poll=0.5):
    """Read the named systems until every one answers, ``exited()`` says the server is gone, or
    ``timeout`` seconds passed: (systems, failures, whether it exited); no failures once all answer."""
    deadline = time.time() + timeout
    while True:
        systems, failures = read_systems(address, port, username, password, names)
        if not failures:
            return systems, failures, False
        died = exited()
        if died or time.time() > deadline:
            return systems, failures, died
        time.sleep(poll)


class RedfishError(Exception):
    pass


class System(object):
    """One ``/redfish/v1/Systems/<id>`` of a Redfish BMC."""

    def __init__(self, base, system_id, username, password, name=None):
        self.base = base.rstrip("/")
        self.url = "%s/redfish/v1/Systems/%s" % (self.base, system_id)
        self.name = name or system_id
        self.username = username
        self.password = password
        self.resolved = False

    def _canonical(self):
        """The system's own URL (its @odata.id). sushy-tools answers writes to a system named by
        name with a 307 to its UUID, which urllib follows for GET only."""
        if not self.resolved:
            odata_id = (self._call(self.url) or {}).get("@odata.id")
            if odata_id:
                self.url = self.base + odata_id
            self.resolved = True
        return self.url

    def _call(self, url, method="GET", body=None):
        try:
            return request(url, self.username, self.password, method, body)
        except Exception as exc:  # urllib raises several kinds; each is one failed BMC call
            raise RedfishError("%s %s: %s" % (method, url, getattr(exc, "reason", None) or exc))

    def power(self):
        """'on' or 'off', as ipmitool says it."""
        state = (self._call(self.url) or {}).get("PowerState")
        return "on" if state == "On" else "off"

    def set_boot_once(self, target):
        """BootSourceOverrideTarget for the next boot only (``Pxe``, ``Hdd``)."""
        self._call(self._canonical(), "PATCH", {"Boot": {"BootSourceOverrideTarget": target,
                                                "BootSourceOverrideEnabled": "Once"}})

    def set_power(self, state, wait):
        """Switch power to ``state`` (on/off) with a ComputerSystem.Reset and wait for it."""
        self._call(self._canonical() + "/Actions/ComputerSystem.Reset", "POST",
                   {"ResetType": "On" if state == "on" else "ForceOff"})
        deadline = time.time() + wait
        while self.power() != state:
            if time.time() > deadline:
                raise RedfishError("%s did not report power %s within %ss" % (self.name, state, wait))
            time.sleep(0.5)
