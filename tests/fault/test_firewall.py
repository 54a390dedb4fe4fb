"""The firewall converges to exactly the wanted scope, and never touches other people's rules.

Each step is read back with firewall-cmd (runtime and permanent), independently of the product.
"""
import os
import signal
import subprocess

import pytest

from conftest import base_lab, changed_count, count, kill_run, run, start, write_lab

PORTS = "7401-7403"
FOREIGN_RUNTIME = ["--zone=public", "--add-port=7499/udp"]
# Exactly what the lab will want in zone work, made by someone else first: never the lab's.
FOREIGN_IDENTICAL = 'rule family="ipv4" source address="127.0.0.2/32" port port="%s" protocol="udp" accept' % PORTS


def firewall_cmd(*args):
    proc = subprocess.run(["firewall-cmd"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)
    return proc.returncode, proc.stdout.strip()


def rules(zone):
    """The zone's ports and rich rules mentioning the lab's ports, per layer."""
    found = {}
    for layer in ("runtime", "permanent"):
        flag = ["--permanent"] if layer == "permanent" else []
        ports = firewall_cmd(*(flag + ["--zone=" + zone, "--list-ports"]))[1].split()
        rich = firewall_cmd(*(flag + ["--zone=" + zone, "--list-rich-rules"]))[1].splitlines()
        found[layer] = sorted([p for p in ports if p.startswith("740")] + [r for r in rich if PORTS in r])
    return found


def rich(source):
    family = "ipv6" if ":" in source else "ipv4"
    return 'rule family="%s" source address="%s" port port="%s" protocol="udp" accept' % (family, source, PORTS)


def assert_exactly(zone, wanted):
    got = rules(zone)
    assert got == {"runtime": sorted(wanted), "permanent": sorted(wanted)}, got
    assert firewall_cmd("--check-config") == (0, "success")


@pytest.fixture
def foreign_rules():
    assert firewall_cmd(*FOREIGN_RUNTIME)[0] == 0
    for flag in ([], ["--permanent"]):
        assert firewall_cmd(*(flag + ["--zone=work", "--add-rich-rule=" + FOREIGN_IDENTICAL]))[0] == 0
    yield
    firewall_cmd("--zone=public", "--remove-port=7499/udp")
    for flag in ([], ["--permanent"]):
        firewall_cmd(*(flag + ["--zone=work", "--remove-rich-rule=" + FOREIGN_IDENTICAL]))


def scoped_lab(tmp_path, name, zone="public", sources=()):
    lab = base_lab()
    lab["bmc"].update(firewall_zone=zone, allow_from=list(sources))
    return write_lab(tmp_path, lab, name)


def converge(lab_file, *expect_in_output):
    rc, out = run("site.yml", lab_file, "--tags", "firewall")
    assert rc == 0, out[-4000:]
    for text in expect_in_output:
        assert text in out, out[-4000:]
    rc, again = run("site.yml", lab_file, "--tags", "firewall")
    assert rc == 0 and changed_count(again) == 0, again[-4000:]
    return out


def test_zone_wide_scoped_other_sources_other_zone_teardown(fault_lab, tmp_path, foreign_rules):
    foreign_work = [FOREIGN_IDENTICAL]
    converge(scoped_lab(tmp_path, "wide.yml"))
    assert_exactly("public", [PORTS + "/udp"])
    assert "7499/udp" in firewall_cmd("--zone=public", "--list-ports")[1].split()

    converge(scoped_lab(tmp_path, "scoped.yml", sources=["127.0.0.1"]))
    assert_exactly("public", [rich("127.0.0.1/32")])

    converge(scoped_lab(tmp_path, "others.yml", sources=["127.0.0.3", "::1"]))
    assert_exactly("public", [rich("127.0.0.3/32"), rich("::1/128")])

    # In zone work the one wanted rule exists already, made by someone else: reported, not claimed.
    converge(scoped_lab(tmp_path, "work.yml", zone="work", sources=["127.0.0.2"]), "is not the lab's")
    assert_exactly("public", [])
    assert_exactly("work", foreign_work)

    rc, out = run("playbooks/teardown.yml", scoped_lab(tmp_path, "work.yml", zone="work", sources=["127.0.0.2"]))
    assert rc == 0, out[-4000:]
    assert_exactly("public", [])
    assert_exactly("work", foreign_work)  # someone else's identical rule survives the lab's teardown
    assert "7499/udp" in firewall_cmd("--zone=public", "--list-ports")[1].split()


def test_teardown_after_the_zone_changed_in_the_description(fault_lab, tmp_path, foreign_rules):
    converge(scoped_lab(tmp_path, "public.yml", sources=["127.0.0.1"]))
    # The description now names another zone; teardown still removes what the record holds.
    rc, out = run("playbooks/teardown.yml", scoped_lab(tmp_path, "trusted.yml", zone="trusted"))
    assert rc == 0, out[-4000:]
    assert_exactly("public", [])
    assert_exactly("trusted", [])
    assert "7499/udp" in firewall_cmd("--zone=public", "--list-ports")[1].split()


def test_teardown_that_skips_the_firewall_keeps_the_record_of_its_rules(fault_lab, tmp_path, foreign_rules):
    lab_file = scoped_lab(tmp_path, "public.yml")
    converge(lab_file)
    count("faults injected")
    rc, out = run("playbooks/teardown.yml", lab_file, "--skip-tags", "firewall")
    assert rc != 0 and "still lists firewall rules the lab opened (%s/udp zone-wide in zone public)" % PORTS in out, \
        out[-3000:]
    assert_exactly("public", [PORTS + "/udp"])
    assert os.path.exists("/var/lib/labkit/ifault/state.json")
    # Only the firewall step: the lab's ports close, the record stays for the rest of the teardown.
    rc, out = run("playbooks/teardown.yml", lab_file, "--tags", "firewall")
    assert rc == 0, out[-3000:]
    assert_exactly("public", [])
    assert os.path.exists("/var/lib/labkit/ifault/state.json")
    rc, out = run("playbooks/teardown.yml", lab_file)
    assert rc == 0 and not os.path.exists("/var/lib/labkit/ifault/state.json"), out[-3000:]
    count("faults survived")


def firewalld_pid():
    out = subprocess.run(["pgrep", "-f", "firewalld"], stdout=subprocess.PIPE, universal_newlines=True, check=False).stdout
    pids = [int(p) for p in out.split() if int(p) != os.getpid()]
    assert pids, "firewalld is not running"
    return pids[0]


def test_killed_during_the_firewall_step(fault_lab, tmp_path, foreign_rules):
    converge(scoped_lab(tmp_path, "wide.yml"))
    scoped = scoped_lab(tmp_path, "scoped.yml", sources=["127.0.0.1"])
    daemon = firewalld_pid()
    # Unbuffered, so the task banner is read the moment the step starts.
    proc = start("site.yml", scoped, "--tags", "firewall", PYTHONUNBUFFERED="1")
    try:
        for line in proc.stdout:
            if "TASK [labkit.tripleo.bmc_firewall : Open exactly" in line:
                break
        else:
            pytest.fail("the run ended before its firewall step")
        # firewalld frozen as the step starts: the module blocks inside it, and the run is killed there.
        os.kill(daemon, signal.SIGSTOP)
        try:
            with pytest.raises(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
            kill_run(proc)
            count("faults injected")
        finally:
            os.kill(daemon, signal.SIGCONT)
    finally:
        if proc.poll() is None:
            kill_run(proc)
    converge(scoped, "took over the lock")
    assert_exactly("public", [rich("127.0.0.1/32")])
    rc, out = run("playbooks/teardown.yml", scoped)
    assert rc == 0, out[-4000:]
    assert_exactly("public", [])
    count("faults survived")
