"""A lab edited between runs: nodes removed, inserted, swapped; identity never moves."""
import copy
import os

from conftest import (IMAGES, REPO, assert_no_duplicate_mac, assert_nothing_left, base_lab, changed_count, changed_tasks, count, lab_state, run,
                      write_lab)

ALT_IMAGES = "/var/lib/libvirt/alt-images"


def _build(tmp_path, lab, name):
    rc, out = run("site.yml", write_lab(tmp_path, lab, name))
    assert rc == 0, out[-4000:]
    state = lab_state()
    assert_no_duplicate_mac(state)
    return out, state


def test_nodes_removed_inserted_and_swapped_keep_every_other_nodes_identity(fault_lab):
    tmp_path = fault_lab
    lab = base_lab()
    _unused, first = _build(tmp_path, lab, "1.yml")
    assert sorted(first["domains"]) == ["ifault-a", "ifault-b", "ifault-c"]
    assert first["bmcs"] == {"ifault-a": 7401, "ifault-b": 7402, "ifault-c": 7403}

    # The first node goes: its domain, disks and BMC go with it; the others keep MACs and ports.
    removed = copy.deepcopy(lab)
    del removed["nodes"][0]
    out, second = _build(tmp_path, removed, "2.yml")
    count("faults injected")
    assert sorted(second["domains"]) == ["ifault-b", "ifault-c"]
    assert second["bmcs"] == {"ifault-b": 7402, "ifault-c": 7403}
    assert not [image for image in second["images"] if "ifault-a" in image], second["images"]
    for name in ("ifault-b", "ifault-c"):
        assert second["domains"][name] == first["domains"][name]
    assert second["record"]["bmc_ports"] == {"ifault-b": 7402, "ifault-c": 7403}
    count("faults survived")

    # A node inserted at the front takes the lowest free port, not the first node's. Beside it,
    # the disk of a node whose domain a killed run already removed (so this run's domains phase
    # removes none): the lab's mark on it, no domain, no longer described. It goes too.
    inserted = copy.deepcopy(removed)
    inserted["nodes"].insert(0, dict(copy.deepcopy(removed["nodes"][0]), name="ifault-new"))
    orphan = os.path.join(IMAGES, "ifault_ifault-gone-vda.qcow2")
    with open(orphan, "wb"):
        pass
    os.setxattr(orphan, "user.labkit.lab", b"ifault")
    os.setxattr(orphan, "user.labkit.instance", second["record"]["instance"].encode())
    _unused, third = _build(tmp_path, inserted, "3.yml")
    count("faults injected")
    assert not os.path.exists(orphan), third["images"]
    assert third["bmcs"] == {"ifault-new": 7401, "ifault-b": 7402, "ifault-c": 7403}
    for name in ("ifault-b", "ifault-c"):
        assert third["domains"][name] == first["domains"][name]
    count("faults survived")

    # Two nodes swapped: nothing on the host changes; only the record (which keeps the description)
    # and the artifacts list nodes in the new order.
    swapped = copy.deepcopy(inserted)
    swapped["nodes"][1], swapped["nodes"][2] = swapped["nodes"][2], swapped["nodes"][1]
    out, fourth = _build(tmp_path, swapped, "4.yml")
    count("faults injected")
    assert changed_tasks(out) == ["labkit.tripleo.lab : Take the lab's lock and read its record (BMC ports kept by node name)",
                                  "labkit.tripleo.lab_summary : Write the lab summary",
                                  "labkit.tripleo.instackenv : Write instackenv.json"], out[-4000:]
    out, _unused = _build(tmp_path, swapped, "4.yml")
    assert changed_count(out) == 0, out[-4000:]
    assert fourth["domains"] == third["domains"] and fourth["bmcs"] == third["bmcs"]
    count("faults survived")


FOREIGN_DOMAIN = """<domain type='qemu'><name>ifault-a</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64'>hvm</type></os></domain>"""


def test_a_foreign_domain_and_bmc_named_like_a_node_are_refused_and_survive_teardown(fault_lab):
    """Someone else's VM (and its VirtualBMC) named like a node: the lab never touches them."""
    tmp_path = fault_lab
    import subprocess

    import libvirt

    from conftest import VBMC, assert_nothing_left
    conn = libvirt.open("qemu:///system")
    dom = conn.defineXML(FOREIGN_DOMAIN)
    subprocess.run([VBMC, "add", "ifault-a", "--address", "127.0.0.1", "--port", "7499",
                    "--username", "x", "--password", "foreign-pass"], check=True, stdout=subprocess.DEVNULL)
    try:
        count("faults injected")
        rc, out = run("site.yml", write_lab(tmp_path, base_lab(), "1.yml"))
        assert rc != 0
        assert "ifault-a (owner: none)" in out, out[-3000:]
        rc, out = run("playbooks/teardown.yml", write_lab(tmp_path, base_lab(), "2.yml"))
        assert rc == 0, out[-4000:]
        out = subprocess.run([VBMC, "show", "ifault-a", "-f", "json"], stdout=subprocess.PIPE,
                             universal_newlines=True, check=True).stdout
        assert '"7499"' in out or "7499" in out
        assert conn.lookupByName("ifault-a").name() == "ifault-a"
        state = lab_state()
        assert state["domains"] == {} and state["images"] == []
        count("faults survived")
    finally:
        subprocess.run([VBMC, "delete", "ifault-a"], check=False, stdout=subprocess.DEVNULL)
        dom.undefine()
        conn.close()
    assert_nothing_left()


def _places():
    """Networks, bridges and disk files of the fault lab, read from libvirt, OVS and the directories."""
    import os
    import subprocess

    import libvirt
    conn = libvirt.open("qemu:///system")
    networks = sorted(n.name() for n in conn.listAllNetworks() if n.name().startswith("ifault"))
    sources = sorted(set(part.split("'")[1] for d in conn.listAllDomains() if d.name().startswith("ifault")
                         for part in d.XMLDesc(0).split("<source network=")[1:]))
    conn.close()
    bridges = [b for b in subprocess.run(["ovs-vsctl", "list-br"], stdout=subprocess.PIPE,
                                         universal_newlines=True, check=False).stdout.split() if b.startswith("ifault")]
    disks = dict((d, sorted(f for f in os.listdir(d) if "ifault" in f)) for d in (IMAGES, ALT_IMAGES)
                 if os.path.isdir(d))
    return {"networks": networks, "domain_networks": sources, "bridges": bridges, "disks": disks}


def test_network_bridge_and_images_dir_renamed_then_teardown_of_the_old_description(fault_lab):
    import os
    tmp_path = fault_lab
    os.makedirs(ALT_IMAGES, exist_ok=True)
    try:
        lab = base_lab()
        _build(tmp_path, lab, "1.yml")
        before = _places()
        assert before["networks"] == ["ifault-net"] and before["bridges"] == ["ifault-br0"], before

        moved = copy.deepcopy(lab)
        moved["network"].update(name="ifault-net2", bridge="ifault-br1")
        moved["libvirt"] = {"images_dir": ALT_IMAGES}
        out, state = _build(tmp_path, moved, "2.yml")
        count("faults injected")
        after = _places()
        assert after["networks"] == ["ifault-net2"] and after["bridges"] == ["ifault-br1"], after
        assert after["domain_networks"] == ["ifault-net2"], after
        assert after["disks"][IMAGES] == [], after  # nothing left in the old images directory
        assert after["disks"][ALT_IMAGES] == ["ifault_ifault-%s-vda.qcow2" % n for n in "abc"], after
        assert "stale_places" not in state["record"], state["record"]
        rc, again = run("site.yml", write_lab(tmp_path, moved, "2.yml"))
        assert rc == 0 and changed_count(again) == 0, again[-4000:]

        # Teardown with the description as it was before the renames: the record knows better.
        rc, out = run("playbooks/teardown.yml", write_lab(tmp_path, lab, "old.yml"))
        assert rc == 0, out[-4000:]
        left = _places()
        assert left["networks"] == [] and left["bridges"] == [], left
        assert left["disks"] == {IMAGES: [], ALT_IMAGES: []}, left
        assert lab_state()["record_files"] == []
        count("faults survived")
    finally:
        for entry in os.listdir(ALT_IMAGES):
            os.unlink(os.path.join(ALT_IMAGES, entry))
        os.rmdir(ALT_IMAGES)


def test_lab_renamed_is_refused_on_the_old_labs_objects_and_torn_down_from_its_record(fault_lab):
    import os
    import subprocess
    tmp_path = fault_lab
    lab = base_lab()
    _build(tmp_path, lab, "1.yml")
    built = _places()

    renamed = dict(copy.deepcopy(lab), name="ifaultx")
    rc, out = run("site.yml", write_lab(tmp_path, renamed, "renamed.yml"))
    count("faults injected")
    assert rc != 0 and "'ifault-br0'" in out and "(owner: lab ifault, instance " in out, out[-4000:]
    assert _places() == built and sorted(lab_state()["domains"]) == ["ifault-a", "ifault-b", "ifault-c"]

    def teardown_from_record(name):
        env = dict(os.environ, ANSIBLE_NOCOLOR="1")
        proc = subprocess.run([str(REPO / ".venv" / "bin" / "ansible-playbook"), "playbooks/teardown.yml",
                               "-e", "teardown_lab_from_record=%s" % name], cwd=str(REPO), env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
        return proc.returncode, proc.stdout

    rc, out = teardown_from_record("../../etc")
    assert rc != 0 and "is not a lab name" in out, out[-3000:]
    rc, out = teardown_from_record("ifault")
    assert rc == 0, out[-4000:]
    assert _places() == {"networks": [], "domain_networks": [], "bridges": [], "disks": {IMAGES: []}}
    assert_nothing_left()
    # The old lab gone, the renamed one builds and converges.
    _build(tmp_path, renamed, "renamed.yml")
    rc, out = run("playbooks/teardown.yml", write_lab(tmp_path, renamed, "renamed.yml"))
    assert rc == 0, out[-4000:]
    assert_nothing_left("ifaultx")
    count("faults survived")


def test_a_second_description_with_the_same_lab_name_is_refused(fault_lab):
    import json
    import os
    tmp_path = fault_lab
    lab = base_lab()
    _build(tmp_path, lab, "1.yml")
    built = lab_state()

    def unlocked(state):
        # A failed run leaves its lock for the next run to take over; it is not part of the lab.
        return dict(state, record_files=[f for f in state["record_files"] if f != "lock.json"])

    instance_file = REPO / "artifacts" / "ifault" / "instance"
    assert instance_file.read_text().strip() == built["record"]["instance"]

    record_path = os.path.join("/var/lib/labkit", "ifault", "state.json")
    try:
        # Another description of lab ifault, from a controller that built another instance of it.
        other = copy.deepcopy(lab)
        other["nodes"] = other["nodes"][:1]
        instance_file.write_text("another-instance\n")
        rc, out = run("site.yml", write_lab(tmp_path, other, "other.yml"))
        count("faults injected")
        assert rc != 0 and "not instance another-instance" in out and "nothing was changed" in out, out[-3000:]
        assert unlocked(lab_state()) == built
        rc, out = run("playbooks/teardown.yml", write_lab(tmp_path, other, "other.yml"))
        assert rc != 0 and "another description uses the same lab name" in out, out[-3000:]
        assert unlocked(lab_state()) == built

        # ...or from another controller that never built it.
        instance_file.unlink()
        record = json.load(open(record_path))
        record["controller"] = "bob@elsewhere"
        with open(record_path, "w") as stream:
            json.dump(record, stream)
        rc, out = run("site.yml", write_lab(tmp_path, other, "other.yml"))
        assert rc != 0 and "was built by bob@elsewhere" in out, out[-3000:]
        assert sorted(lab_state()["domains"]) == sorted(built["domains"])
        # Taking it over is explicit.
        rc, out = run("site.yml", write_lab(tmp_path, other, "other.yml"), "-e", "lab_adopt=true")
        assert rc == 0, out[-3000:]
        assert sorted(lab_state()["domains"]) == ["ifault-a"] and "took over lab ifault" in out
        assert lab_state()["record"]["controller"] != "bob@elsewhere"
        count("faults survived")
    finally:
        # Whatever happened, this controller is the builder again, so the fixture can tear down.
        if instance_file.exists():
            instance_file.unlink()
        if os.path.exists(record_path):
            record = json.load(open(record_path))
            record["controller"] = None
            with open(record_path, "w") as stream:
                json.dump(record, stream)
