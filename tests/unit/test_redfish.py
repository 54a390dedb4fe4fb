# -*- coding: utf-8 -*-
"""redfish: the service URL, reading every system (each failure named), and waiting for them to
answer - until all do, the server exits, or the time is up. HTTP is a fake ``request``; a real
emulator answers in tests/integration/test_redfish_bmc.py."""
import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import redfish


class Clock(object):
    """The time module as redfish sees it: sleeping moves the clock on."""

    def __init__(self):
        self.now, self.slept = 1000.0, []

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(redfish, "time", fake)
    return fake


def answering(after=0, down=()):
    """A fake ``request``: every system answers from the ``after``-th round of reads on, but those in ``down``."""
    rounds = {}

    def request(url, username, password, timeout=10):
        name = url.rsplit("/", 1)[1]
        rounds[name] = rounds.get(name, 0) + 1
        if name in down or rounds[name] <= after:
            raise IOError("Connection refused")
        return {"Id": "uuid-" + name, "PowerState": "Off"}
    return request


def test_the_base_url_brackets_an_ipv6_address():
    assert redfish.base_url("127.0.0.1", 8000) == "http://127.0.0.1:8000"
    assert redfish.base_url("fd00::1", 8000) == "http://[fd00::1]:8000"


def test_every_system_is_read_and_each_failure_named(monkeypatch):
    monkeypatch.setattr(redfish, "request", answering(down=("b",)))
    systems, failures = redfish.read_systems("127.0.0.1", 8000, "admin", "pw", ["a", "b"])
    assert systems == [{"name": "a", "id": "uuid-a", "path": "/redfish/v1/Systems/a", "power_state": "Off"}]
    assert failures == ["b (http://127.0.0.1:8000/redfish/v1/Systems/b): Connection refused"]


def test_waiting_ends_when_every_system_answers(monkeypatch, clock):
    monkeypatch.setattr(redfish, "request", answering(after=2))
    systems, failures, exited = redfish.wait_for_systems("127.0.0.1", 8000, "admin", "pw", ["a", "b"], 30)
    assert [s["name"] for s in systems] == ["a", "b"] and failures == [] and exited is False
    assert clock.slept == [0.5, 0.5]


def test_waiting_ends_when_the_server_exits(monkeypatch, clock):
    monkeypatch.setattr(redfish, "request", answering(down=("a",)))
    asked = []
    systems, failures, exited = redfish.wait_for_systems("127.0.0.1", 8000, "admin", "pw", ["a"], 30,
                                                         lambda: asked.append(1) or len(asked) == 2)
    assert systems == [] and len(failures) == 1 and exited is True and clock.slept == [0.5]


def test_waiting_ends_at_the_deadline(monkeypatch, clock):
    monkeypatch.setattr(redfish, "request", answering(down=("b",)))
    systems, failures, exited = redfish.wait_for_systems("127.0.0.1", 8000, "admin", "pw", ["a", "b"], 3, poll=1)
    assert [s["name"] for s in systems] == ["a"] and failures[0].startswith("b (") and exited is False
    # Reads go on while the deadline is not passed: at 0, 1, 2, 3 and 4 seconds.
    assert clock.slept == [1, 1, 1, 1]
