"""lab.svg drawn by the real Graphviz from a lab nobody shipped, read back by parsing the SVG."""
import random
import re
import string
import xml.etree.ElementTree as ET

from ansible_collections.labkit.tripleo.plugins.filter import lab as lab_filters
from ansible_collections.labkit.tripleo.plugins.module_utils import lab_picture
from ansible_collections.labkit.tripleo.plugins.module_utils.lab_model import normalize

SVG = "{http://www.w3.org/2000/svg}"
VIRTHOST = {"domain_type": "qemu", "domain_type_reason": "no /dev/kvm"}


def random_lab(seed):
    rng = random.Random(seed)

    def word():
        return "".join(rng.choice(string.ascii_lowercase) for _count in range(6))
    vlans = rng.sample(range(2, 4000), 5)
    portgroups = [{"name": "pg-" + word(), "vlan": vlans[0]}, {"name": "pg-" + word(), "vlan": vlans[1]},
                  {"name": "pg-" + word(), "trunk": vlans[2:]}]
    nodes = [{"name": "n-" + word(), "profile": rng.choice(["control", "compute", "ceph-storage"]), "vcpus": 1,
              "memory_mb": 512, "disk_gb": 1, "nics": [portgroups[0]["name"]] + rng.sample(
                  [pg["name"] for pg in portgroups[1:]], rng.randint(0, 2))} for _count in range(rng.randint(3, 7))]
    return {"name": "l-" + word(), "network": {"name": "net-" + word(), "bridge": "br" + word(),
                                               "host_vlan": vlans[0], "portgroups": portgroups},
            "bmc": {"port_start": rng.randint(2000, 9000)},
            "undercloud": {"name": "uc-" + word(), "vcpus": 2, "memory_mb": 1024, "disk_gb": 10,
                           "nics": [portgroups[0]["name"], portgroups[1]["name"]]},
            "nodes": nodes}


def summary_of(lab):
    model = normalize(lab)
    domains = [{"name": vm["name"], "active": False,
                "nics": [{"portgroup": n["portgroup"], "mac": n["mac"]} for n in vm["nics"]]}
               for vm in model["vms"]]
    return model, lab_filters.lab_summary(model, domains, VIRTHOST, "virthost-x", "/a")


def parse(svg_text):
    root = ET.fromstring(svg_text.encode("utf-8"))
    shapes = {}
    for group in root.iter(SVG + "g"):
        title = group.find(SVG + "title")
        if title is not None and group.get("class") in ("node", "edge"):
            shapes[title.text] = [t.text for t in group.iter(SVG + "text")]
    return shapes


def test_every_vm_portgroup_vlan_and_wire_of_an_unshipped_lab_is_drawn():
    for seed in (1, 2, 3):
        model, summary = summary_of(random_lab(seed))
        shapes = parse(lab_picture.svg(summary))
        for vm in model["vms"]:
            texts = shapes["vm/%s" % vm["name"]]
            assert texts[0] == vm["name"]
            for nic in vm["nics"]:
                assert nic["mac"] in shapes["vm/%s--pg/%s" % (vm["name"], nic["portgroup"])]
            if vm["role"] == "undercloud":
                assert "undercloud" in texts
            else:
                assert "BMC ipmi 127.0.0.1:%d" % vm["bmc_port"] in texts and "profile: %s" % vm["profile"] in texts
        for pg in model["network"]["portgroups"]:
            texts = shapes["pg/%s" % pg["name"]]
            if pg["vlan"] is not None:
                assert "access: VLAN %d" % pg["vlan"] in texts
            else:
                assert "trunk: VLANs %s" % ", ".join(str(v) for v in pg["trunk"]) in texts
            assert "pg/%s--bridge" % pg["name"] in shapes
        assert "Open vSwitch bridge %s" % model["network"]["bridge"] in shapes["bridge"]


def _numbers(text):
    return [float(n) for n in re.findall(r"-?[0-9]+(?:\.[0-9]+)?", text)]


def drawn_boxes(svg_text):
    """Each node's box as drawn ({title: (x0, y0, x1, y1)}, from its outline's points), and each
    edge's two drawn ends ([(title, (x, y), (x, y))], the first and last point of its path)."""
    root = ET.fromstring(svg_text.encode("utf-8"))
    boxes, wires = {}, []
    for group in root.iter(SVG + "g"):
        title = group.find(SVG + "title")
        if title is None:
            continue
        if group.get("class") == "node":
            points = []
            for shape in list(group.iter(SVG + "polygon")) + list(group.iter(SVG + "path")):
                numbers = _numbers(shape.get("points") or shape.get("d") or "")
                points += list(zip(numbers[0::2], numbers[1::2]))
            for ellipse in group.iter(SVG + "ellipse"):
                cx, cy, rx, ry = (float(ellipse.get(k)) for k in ("cx", "cy", "rx", "ry"))
                points += [(cx - rx, cy - ry), (cx + rx, cy + ry)]
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            boxes[title.text] = (min(xs), min(ys), max(xs), max(ys))
        elif group.get("class") == "edge":
            numbers = _numbers(group.find(SVG + "path").get("d"))
            wires.append((title.text, (numbers[0], numbers[1]), (numbers[-2], numbers[-1])))
    return boxes, wires


def _touching(boxes, point, slack=3.0):
    x, y = point
    return sorted(name for name, (x0, y0, x1, y1) in boxes.items()
                  if x0 - slack <= x <= x1 + slack and y0 - slack <= y <= y1 + slack)


def test_each_wire_is_drawn_from_its_vm_to_its_portgroup():
    model, summary = summary_of(random_lab(5))
    boxes, wires = drawn_boxes(lab_picture.svg(summary))
    vms = dict(("vm/%s" % vm["name"], vm) for vm in model["vms"])
    portgroups = ["pg/%s" % pg["name"] for pg in model["network"]["portgroups"]]
    # Nothing but the lab's things is drawn (an id Graphviz read as node:port would add a node).
    assert sorted(boxes) == sorted(list(vms) + portgroups + ["bridge"])
    drawn = []
    for _title, start, end in wires:
        ends = _touching(boxes, start) + _touching(boxes, end)
        assert len(ends) == 2, (start, end, ends)
        drawn.append(tuple(sorted(ends)))
    wanted = [tuple(sorted((vm_id, "pg/%s" % nic["portgroup"]))) for vm_id, vm in vms.items() for nic in vm["nics"]]
    wanted += [("bridge", pg) for pg in portgroups]
    assert sorted(drawn) == sorted(wanted)


def test_the_provisioning_portgroup_is_marked():
    model, summary = summary_of(random_lab(4))
    shapes = parse(lab_picture.svg(summary))
    marked = [name for name, texts in shapes.items() if "(provisioning)" in texts]
    assert marked == ["pg/%s" % model["network"]["provisioning_portgroup"]]
