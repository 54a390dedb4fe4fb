# -*- coding: utf-8 -*-
"""console_log: a serial console log read as a person reads it, followed as it grows."""

from ansible_collections.labkit.tripleo.plugins.module_utils import console_log


def test_console_tail_reads_like_the_screen():
    raw = ("\x1bc\x1b[?7l\x1b[2J\x1b[0mSeaBIOS (version 1.16.2)\r\n"
           "Press Ctrl-B...\b \b\b \bnet0: 52:54:00:00:00:01 using virtio-net\r\n"
           "\x1b[0;1miPXE 1.0.0\x1b[0m -- Open Source\r\n\r\n"
           "Configuring (net0 52:54:00:00:00:01)...... No configuration methods\r\nNo bootable device.\r\n")
    assert console_log.console_tail(raw) == [
        "SeaBIOS (version 1.16.2)", "Press Ctrl-B.net0: 52:54:00:00:00:01 using virtio-net", "iPXE 1.0.0 -- Open Source",
        "Configuring (net0 52:54:00:00:00:01)...... No configuration methods", "No bootable device."]
    assert console_log.console_tail(raw, lines=1) == ["No bootable device."]


def test_tail_returns_complete_lines_only_and_remembers_where_it_was(tmp_path):
    path = tmp_path / "dnsmasq.log"
    tail = console_log.Tail(str(path))
    assert tail.lines() == []  # no file yet
    path.write_text("first\nsecond half")
    assert tail.lines() == ["first"]
    with path.open("a") as handle:
        handle.write(" done\nthird\n")
    assert tail.lines() == ["second half done", "third"]
    assert tail.lines() == []


def test_read_end_reads_the_last_characters_only(tmp_path):
    path = tmp_path / "console.log"
    path.write_text("a" * 100 + "THE END")
    assert console_log.read_end(str(path), size=7) == "THE END"
    assert console_log.read_end(str(tmp_path / "missing.log")) == ""


def test_file_tail_says_when_there_is_no_log(tmp_path):
    missing = str(tmp_path / "node-console.log")
    assert console_log.file_tail(missing) == ["(the console log %s is empty or missing)" % missing]
    (tmp_path / "node-console.log").write_text("\x1b[2JSeaBIOS\r\nNo bootable device.\r\n")
    assert console_log.file_tail(missing) == ["SeaBIOS", "No bootable device."]


def test_remove_console_logs_takes_the_rotated_copies_too(tmp_path):
    log = tmp_path / "n1[a]-console.log"
    for name in ("n1[a]-console.log", "n1[a]-console.log.0", "n1[a]-console.log.12", "n1[a]-console.log.old",
                 "n1-console.log", "other.log.0"):
        (tmp_path / name).write_text("x")
    console_log.remove_console_logs(str(log))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["n1-console.log", "n1[a]-console.log.old", "other.log.0"]
    # Nothing there: nothing to do.
    console_log.remove_console_logs(str(log))
