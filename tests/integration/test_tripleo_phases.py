"""The TripleO phases against a real Ironic and real python-tripleoclient (tests/ironic).

What runs for real: instackenv.json from the lab's libvirt state, TripleO's own validator
(`overcloud node import --validate-only`), `overcloud node import`/`provide` into Ironic,
whose IPMI power checks reach the lab's VirtualBMCs and through them the libvirt domains,
profiles set with `baremetal node set`. Not here: introspection (needs PXE), flavors
(need Nova), the undercloud install and the deploy (need a CentOS undercloud).
"""
import json
import os
import re
import subprocess
import time

import libvirt
import pytest
import yaml

from conftest import LABS, REPO, host_state, playbook, redfish_get
from ansible_collections.labkit.tripleo.plugins.module_utils import overcloud_state

IRONIC = REPO / "tests" / "ironic"
OPENSTACK = "/opt/labkit-test/tripleo/bin/openstack"
# Each release's instackenv.json is checked by that release's own validator.
VALIDATORS = {"zed": OPENSTACK, "wallaby": "/opt/labkit-test/tripleo-wallaby/bin/openstack"}
STATE = "/opt/labkit-test/state"
INVENTORY = "tests/integration/inventory-tripleo"
ARTIFACTS = REPO / "artifacts" / "itest3"
NODES = ["itest3-control-1", "itest3-compute-1", "itest3-storage-1"]
PROFILES = {"itest3-control-1": "control", "itest3-compute-1": "compute", "itest3-storage-1": "ceph-storage"}


def openstack_env():
    env = dict(os.environ)
    for line in open(STATE + "/env"):
        match = re.match(r"export (\w+)=(.*)", line.strip())
        if match:
            env[match.group(1)] = match.group(2)
    return env


def openstack(*args, check=True):
    proc = subprocess.run([OPENSTACK] + list(args), env=openstack_env(), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, check=False)
    if check:
        assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def ironic_nodes():
    rows = json.loads(openstack("baremetal", "node", "list", "--long", "-f", "json").stdout)
    return {row["name"]: row for row in rows if row["name"] in NODES}


# The undercloud install, deploy and validation need a CentOS undercloud: never run them
# against this machine.
NOT_HERE = ["--skip-tags", "undercloud,deploy,validate"]


def lab_playbook(name, *args, lab=LABS / "itest3.yml"):
    extra = NOT_HERE if name == "site.yml" else []
    return playbook(name, "-i", INVENTORY, "-e", "@%s" % lab, *(list(args) + extra))


def recap(output):
    return {host: dict(re.findall(r"(\w+)=(\d+)", rest)) for host, rest in
            re.findall(r"^(\S+)\s+:\s+(ok=.*)$", output.split("PLAY RECAP")[-1], re.M)}


@pytest.fixture(scope="module")
def ironic():
    subprocess.run([str(IRONIC / "setup")], check=True)
    subprocess.run([str(IRONIC / "start")], check=True)
    yield
    subprocess.run([str(IRONIC / "stop")], check=True)


@pytest.fixture
def tripleo_lab(ironic):
    lab_playbook("playbooks/teardown.yml")
    yield
    rc, out = lab_playbook("playbooks/teardown.yml")
    assert rc == 0, out[-3000:]
    assert ironic_nodes() == {}, "teardown left nodes in Ironic"
    # instackenv.json holds the BMC passwords: teardown takes it (and the emptied directory) away.
    assert not os.path.exists(STATE + "/labkit-itest3"), os.listdir(STATE + "/labkit-itest3")


def variant(tmp_path, **tripleo):
    spec = yaml.safe_load(open(LABS / "itest3.yml"))
    spec["lab"]["tripleo"].update(tripleo)
    path = tmp_path / ("itest3-%s.yml" % "-".join("%s" % v for v in tripleo.values()))
    path.write_text(yaml.safe_dump(spec))
    return path


def validate_only(path, release="zed"):
    return subprocess.run([VALIDATORS[release], "overcloud", "node", "import", "--validate-only", str(path)],
                          env=openstack_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, check=False)


def test_generated_instackenv_passes_tripleos_own_validator(tripleo_lab, tmp_path):
    rc, out = playbook("site.yml", "-i", "inventories/default", "-e", "@%s" % (LABS / "itest3.yml"))
    assert rc == 0, out[-3000:]
    conn = libvirt.open("qemu:///system")
    for release in ("zed", "wallaby"):
        lab = variant(tmp_path, release=release)
        rc, out = playbook("site.yml", "-i", "inventories/default", "-e", "@%s" % lab, "--tags", "instackenv")
        assert rc == 0, out[-3000:]
        path = ARTIFACTS / "instackenv.json"
        assert oct(path.stat().st_mode & 0o777) == oct(0o600)
        doc = json.loads(path.read_text())
        for node in doc["nodes"]:
            # The MAC is the one libvirt has on the provisioning (first) NIC.
            xml = conn.lookupByName(node["name"]).XMLDesc(0)
            assert node["ports"][0]["address"] == re.search(r"<mac address='([^']+)'", xml).group(1)
        result = validate_only(path, release)
        assert result.returncode == 0, result.stderr[-2000:]

        # TripleO refuses what the project refuses before it: a duplicate MAC or BMC endpoint.
        broken = json.loads(path.read_text())
        broken["nodes"][1]["ports"] = broken["nodes"][0]["ports"]
        (tmp_path / "dup-mac.json").write_text(json.dumps(broken))
        assert "is not unique" in validate_only(tmp_path / "dup-mac.json", release).stderr
        broken = json.loads(path.read_text())
        broken["nodes"][2]["pm_port"] = broken["nodes"][0]["pm_port"]
        (tmp_path / "dup-bmc.json").write_text(json.dumps(broken))
        assert "already present" in validate_only(tmp_path / "dup-bmc.json", release).stderr

    # Queens writes the old "mac" list, which TripleO 18 no longer reads: the formats differ
    # by release, as they must.
    rc, out = playbook("site.yml", "-i", "inventories/default", "-e", "@%s" % variant(tmp_path, release="queens"),
                       "--tags", "instackenv")
    assert rc == 0, out[-3000:]
    doc = json.loads((ARTIFACTS / "instackenv.json").read_text())
    assert all("mac" in n and n["pm_type"] == "pxe_ipmitool" for n in doc["nodes"])
    assert 'The "mac" field is not longer supported' in validate_only(ARTIFACTS / "instackenv.json").stderr


def test_nodes_register_through_real_bmcs_get_profiles_and_obey_ironic(tripleo_lab):
    rc, out = lab_playbook("site.yml")
    assert rc == 0, out[-4000:]
    nodes = ironic_nodes()
    assert sorted(nodes) == sorted(NODES)
    for name, row in nodes.items():
        assert row["provision_state"] == "available", row
        # Ironic learnt the power state through IPMI from the lab's VirtualBMC.
        assert row["power_state"] == "power off", row
        caps = dict(item.split(":", 1) for item in row["properties"]["capabilities"].split(","))
        assert caps["profile"] == PROFILES[name] and caps["boot_option"] == "local"
    # Ironic's port is the provisioning MAC libvirt has.
    ports = json.loads(openstack("baremetal", "port", "list", "--long", "-f", "json").stdout)
    lab_json = json.loads((ARTIFACTS / "lab.json").read_text())
    wanted = {vm["provisioning_mac"] for vm in lab_json["vms"] if vm["role"] == "node"}
    assert wanted <= {p.get("address", p.get("Address")) for p in ports}

    # A power change issued through Ironic changes the real libvirt domain.
    assert_ironic_power_switches_the_domain("itest3-compute-1")

    # The validate phase's node listing, run against this real Ironic, is read as the phase
    # reads it (Wallaby on: provisioned nodes carry their host name in instance_info).
    openstack("baremetal", "node", "set", "--instance-info", "display_name=overcloud-controller-0", "itest3-control-1")
    try:
        rows = json.loads(openstack(*overcloud_state.commands()["baremetal_nodes"][1:]).stdout)
        deployed = {"parameter_defaults": {"DeployedServerPortMap": {
            "overcloud-controller-0-ctlplane": {"fixed_ips": [{"ip_address": "192.168.255.12"}]}}}}
        servers = overcloud_state.servers_from_baremetal(rows, deployed)
        assert servers == [{"Name": "overcloud-controller-0", "Status": "AVAILABLE",
                            "Networks": {"ctlplane": ["192.168.255.12"]}}]
    finally:
        openstack("baremetal", "node", "unset", "--instance-info", "display_name", "itest3-control-1")

    # Re-running changes nothing and registers nothing twice.
    rc, out = lab_playbook("site.yml")
    assert rc == 0, out[-4000:]
    assert all(r["changed"] == "0" for r in recap(out).values()), out[-3000:]
    assert sorted(ironic_nodes()) == sorted(NODES)


def test_without_provide_nodes_stay_manageable_and_a_profile_change_is_applied(tripleo_lab, tmp_path):
    manageable = variant(tmp_path, provide=False)
    rc, out = lab_playbook("site.yml", lab=manageable)
    assert rc == 0, out[-4000:]
    assert {row["provision_state"] for row in ironic_nodes().values()} == {"manageable"}

    spec = yaml.safe_load(open(manageable))
    spec["lab"]["nodes"][1]["profile"] = "control"
    changed = tmp_path / "profile.yml"
    changed.write_text(yaml.safe_dump(spec))
    rc, out = lab_playbook("site.yml", "--tags", "profiles", lab=changed)
    assert rc == 0, out[-4000:]
    assert recap(out)["test-undercloud"]["changed"] == "1"
    caps = ironic_nodes()["itest3-compute-1"]["properties"]["capabilities"]
    assert "profile:control" in caps and "boot_option:local" in caps


def test_registration_fails_naming_a_node_whose_bmc_does_not_answer(tripleo_lab, tmp_path):
    rc, out = playbook("site.yml", "-i", "inventories/default", "-e", "@%s" % (LABS / "itest3.yml"))
    assert rc == 0, out[-3000:]
    subprocess.run(["/opt/labkit/vbmc/bin/vbmc", "stop", "itest3-storage-1"], check=True)
    rc, out = lab_playbook("site.yml", "--tags", "register", "-e", "lab_collect_on_failure=true")
    assert rc != 0
    assert re.search(r"itest3-storage-1 \((enroll|verifying)", out), out[-3000:]

    # The failed phase's rescue gathered the undercloud's side too: Ironic's view of each node
    # with its last error, and the import's own log ending with what failed.
    logs = ARTIFACTS / "logs" / "undercloud"
    lines = (logs / "ironic-nodes.txt").read_text().splitlines()
    assert [line.split(":")[0] for line in lines] == NODES, lines
    assert re.match(r"itest3-storage-1: (enroll|verifying), .*; last error: ", lines[2]), lines
    rows = json.loads((logs / "ironic-nodes.json").read_text())
    assert {row["name"]: row["provision_state"] for row in rows} == {
        name: row["provision_state"] for name, row in ironic_nodes().items()}
    import_log = (logs / "overcloud-node-import.log").read_text()
    assert "$ openstack overcloud node import" in import_log
    assert import_log.splitlines()[-1].startswith("FAILED: 1 of 3 nodes did not reach manageable: itest3-storage-1")
    password = (ARTIFACTS / "bmc-password").read_text().strip()
    collected = [p for p in (ARTIFACTS / "logs").rglob("*") if p.is_file()]
    assert len(collected) > 10 and not [p for p in collected if password in p.read_text(errors="replace")]
    junit = (ARTIFACTS / "junit.xml").read_text()
    assert 'name="collect"' in junit

    # On demand, collect.yml gathers the same from the inventory's undercloud.
    (logs / "ironic-nodes.txt").unlink()
    rc, out = playbook("playbooks/collect.yml", "-i", INVENTORY, "-e", "@%s" % (LABS / "itest3.yml"))
    assert rc == 0, out[-3000:]
    assert [line.split(":")[0] for line in (logs / "ironic-nodes.txt").read_text().splitlines()] == NODES


def assert_ironic_power_switches_the_domain(name):
    conn = libvirt.open("qemu:///system")
    try:
        openstack("baremetal", "node", "power", "on", name)
        assert wait(lambda: conn.lookupByName(name).isActive(), 60)
        openstack("baremetal", "node", "power", "off", name)
        assert wait(lambda: not conn.lookupByName(name).isActive(), 60)
    finally:
        if conn.lookupByName(name).isActive():
            conn.lookupByName(name).destroy()


def wait(predicate, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


# ------------------------------------------------------------------ Redfish BMCs

RF_LAB = LABS / "itestrf.yml"
RF_NODES = ["itestrf-control-1", "itestrf-compute-1"]
RF_PORT = 7331


@pytest.fixture
def foreign_domain_beside_redfish_lab():
    """A domain the lab does not own, on the same libvirt: the emulator must not serve it."""
    conn = libvirt.open("qemu:///system")
    dom = conn.defineXML("""<domain type='qemu'><name>itestrf-foreign</name><memory unit='MiB'>64</memory>
        <vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>""")
    yield dom.UUIDString()
    conn.lookupByName("itestrf-foreign").undefine()


@pytest.fixture
def redfish_lab(ironic):
    playbook("playbooks/teardown.yml", "-i", INVENTORY, "-e", "@%s" % RF_LAB)
    yield
    rc, out = playbook("playbooks/teardown.yml", "-i", INVENTORY, "-e", "@%s" % RF_LAB)
    assert rc == 0, out[-3000:]
    assert not os.path.exists(STATE + "/labkit-itestrf")


def test_redfish_lab_registers_through_sushy_tools_and_obeys_ironic(redfish_lab, foreign_domain_beside_redfish_lab):
    before = host_state()
    rc, out = lab_playbook("site.yml", "--check", lab=RF_LAB)
    assert rc == 0, out[-4000:]
    assert host_state() == before, "check mode changed the host"

    rc, out = lab_playbook("site.yml", lab=RF_LAB)
    assert rc == 0, out[-4000:]
    rows = json.loads(openstack("baremetal", "node", "list", "--long", "-f", "json").stdout)
    nodes = {row["name"]: row for row in rows if row["name"] in RF_NODES}
    assert sorted(nodes) == sorted(RF_NODES)
    for name, row in nodes.items():
        # Ironic's redfish driver read the power state from the emulator: the node passed its checks.
        assert row["driver"] == "redfish" and row["provision_state"] == "available", row
        assert row["power_state"] == "power off", row
        assert "profile:" in row["properties"]["capabilities"]

    # The emulator serves the lab's nodes, by name and UUID, and nothing else on this libvirt.
    password = (REPO / "artifacts" / "itestrf" / "bmc-password").read_text().strip()
    conn = libvirt.open("qemu:///system")
    lab_uuids = {conn.lookupByName(n).UUIDString() for n in RF_NODES}
    status, collection = redfish_get(RF_PORT, "/redfish/v1/Systems", password)
    assert status == 200
    assert {m["@odata.id"].rsplit("/", 1)[1] for m in collection["Members"]} == lab_uuids
    # Denied. sushy-tools 2.2.0 means 404 here but answers 500: its api_utils shadows its own
    # `error` module with a function of that name. Either way nothing of the domain is served.
    for foreign in ("itestrf-foreign", foreign_domain_beside_redfish_lab):
        status, body = redfish_get(RF_PORT, "/redfish/v1/Systems/" + foreign, password)
        assert status in (404, 500) and "PowerState" not in json.dumps(body), (status, body)
    assert redfish_get(RF_PORT, "/redfish/v1/Systems", "wrong-password")[0] == 401
    # Its files hold a bcrypt hash, never the password, and only root reads them.
    config_dir = "/etc/labkit/itestrf/redfish"
    assert oct(os.stat(config_dir).st_mode & 0o777) == oct(0o700)
    for name in os.listdir(config_dir):
        path = os.path.join(config_dir, name)
        assert oct(os.stat(path).st_mode & 0o777) == oct(0o600), path
        assert password not in open(path).read(), path

    # A power change issued through Ironic reaches the real libvirt domain through Redfish.
    assert_ironic_power_switches_the_domain("itestrf-compute-1")

    # Re-running changes nothing: no restart of the emulator, no node registered twice.
    pid = open("/run/labkit/redfish-itestrf.pid").read().strip()
    rc, out = lab_playbook("site.yml", lab=RF_LAB)
    assert rc == 0, out[-4000:]
    assert all(r["changed"] == "0" for r in recap(out).values()), out[-3000:]
    assert open("/run/labkit/redfish-itestrf.pid").read().strip() == pid

    # Teardown leaves the host as it was: emulator stopped, its files and firewall service gone.
    rc, out = playbook("playbooks/teardown.yml", "-i", INVENTORY, "-e", "@%s" % RF_LAB)
    assert rc == 0, out[-3000:]
    assert host_state() == before
    assert not [row for row in json.loads(openstack("baremetal", "node", "list", "-f", "json").stdout)
                if row["Name"] in RF_NODES]


def test_undercloud_phase_in_check_mode_templates_every_task_and_writes_nothing():
    """The undercloud install cannot run here, but its tasks can be rendered: check mode walks the
    whole phase (host preparation off: Debian has no TripleO packages; no image download: no
    network) and must neither fail nor write anything."""
    before = sorted(os.listdir(STATE))
    rc, out = playbook("site.yml", "-i", INVENTORY, "-e", "@%s" % (LABS / "itest3.yml"), "--check", "--tags",
                       "undercloud", "-e", "undercloud_manage_host=false", "-e", '{"undercloud_images": {"zed": []}}')
    assert rc == 0, out[-4000:]
    for task in ("Render undercloud.conf", "Run openstack undercloud install", "Upload the overcloud images",
                 "Set the DNS servers on the ctlplane subnet"):
        assert task in out, task
    assert sorted(os.listdir(STATE)) == before


def test_ironic_nodes_carry_the_labs_mark_are_refreshed_and_foreign_ones_are_refused_and_left(tripleo_lab, tmp_path):
    rc, out = lab_playbook("site.yml")
    assert rc == 0, out[-4000:]
    instance = json.load(open("/var/lib/labkit/itest3/state.json"))["instance"]
    nodes = ironic_nodes()
    assert {n: row["extra"] for n, row in nodes.items()} == {
        n: {"labkit_lab": "itest3", "labkit_instance": instance} for n in NODES}
    port = nodes["itest3-compute-1"]["driver_info"]["ipmi_port"]
    lab_json = json.loads((ARTIFACTS / "lab.json").read_text())
    mac = next(vm["provisioning_mac"] for vm in lab_json["vms"] if vm["name"] == "itest3-compute-1")

    def compute_ports():
        uuid = ironic_nodes()["itest3-compute-1"]["uuid"]
        rows = json.loads(openstack("baremetal", "port", "list", "--node", uuid, "-f", "json").stdout)
        return sorted(r.get("address", r.get("Address")) for r in rows)

    # Ironic drifted: another BMC port, a wrong MAC. The register phase puts both back and says so.
    openstack("baremetal", "node", "set", "itest3-compute-1", "--driver-info", "ipmi_port=7399")
    old_port = json.loads(openstack("baremetal", "port", "list", "--address", mac, "-f", "json").stdout)[0]
    openstack("baremetal", "port", "delete", old_port.get("uuid", old_port.get("UUID")))
    openstack("baremetal", "port", "create", "--node", ironic_nodes()["itest3-compute-1"]["uuid"], "52:54:00:de:ad:01")
    rc, out = lab_playbook("site.yml", "--tags", "register", "-v")
    assert rc == 0, out[-4000:]
    assert "ipmi_port 7399 -> %s" % port in out and "MACs 52:54:00:de:ad:01 -> %s" % mac in out, out[-4000:]
    assert ironic_nodes()["itest3-compute-1"]["driver_info"]["ipmi_port"] == port
    assert compute_ports() == [mac]
    assert "ipmi_password=" not in out.replace("ipmi_password=********", ""), "a BMC password was printed"
    rc, out = lab_playbook("site.yml", "--tags", "register")
    assert rc == 0 and recap(out)["test-undercloud"]["changed"] == "0", out[-4000:]

    # A node named like a lab node that is not the lab's: the run stops before any change, and
    # teardown leaves it.
    openstack("baremetal", "node", "unset", "itest3-storage-1", "--extra", "labkit_lab", "--extra", "labkit_instance")
    openstack("baremetal", "node", "set", "itest3-storage-1", "--driver-info", "ipmi_address=192.0.2.50")
    before = ironic_nodes()
    rc, out = lab_playbook("site.yml", "--tags", "register")
    assert rc != 0 and "itest3-storage-1 is not the lab's (no labkit mark, BMC 192.0.2.50/" in out, out[-4000:]
    assert ironic_nodes() == before
    try:
        rc, out = lab_playbook("playbooks/teardown.yml")
        assert rc == 0, out[-4000:]
        assert sorted(ironic_nodes()) == ["itest3-storage-1"], "teardown deleted a node that is not the lab's"
    finally:
        openstack("baremetal", "node", "delete", "itest3-storage-1", check=False)


def test_whole_site_in_check_mode_fails_nowhere_and_changes_nothing_fresh_or_built(tripleo_lab):
    """Every phase, TripleO ones included, in check mode: on a fresh host, then on a built lab."""
    check = ["site.yml", "-i", INVENTORY, "-e", "@%s" % (LABS / "itest3.yml"), "--check",
             "-e", "undercloud_manage_host=false", "-e", '{"undercloud_images": {"zed": []}}']

    def everything():
        files = sorted(os.path.join(d, f) for d, _unused, fs in os.walk(STATE) for f in fs if not f.startswith("ironic"))
        return host_state(), ironic_nodes(), files, sorted(os.listdir(REPO / "artifacts"))

    for moment in ("fresh", "built"):
        before = everything()
        rc, out = playbook(*check)
        assert rc == 0, "%s: %s" % (moment, out[-4000:])
        assert "check mode: the overcloud deploy of lab itest3 would run" in out, out[-3000:]
        assert "check mode: the overcloud of lab itest3 is not validated" in out, out[-3000:]
        assert everything() == before, moment
        if moment == "fresh":
            rc, out = lab_playbook("site.yml")
            assert rc == 0, out[-4000:]
