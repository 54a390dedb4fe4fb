# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The picture of a lab (lab.svg), drawn by Graphviz from lab.json (the lab as built, not
its description): the virthost, the Open vSwitch bridge, each portgroup with its VLANs, each
VM wired to its portgroups (MACs on the wires), the undercloud marked, each node's BMC.

Graphviz lays the graph out; this file only says what is connected to what. Every node of
the graph has a stable id (``vm/<name>``, ``pg/<name>``, ``bridge``), which Graphviz writes
as the SVG element's title, so tests and tools find things in the picture by name. No id holds a
colon: in an edge, Graphviz reads ``a:b`` as port ``b`` of node ``a``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def portgroup_label(portgroup):
    if portgroup.get("trunk"):
        return "%s\ntrunk: VLANs %s" % (portgroup["name"], ", ".join(str(v) for v in portgroup["trunk"]))
    return "%s\naccess: VLAN %s" % (portgroup["name"], portgroup.get("vlan"))


def vm_label(vm):
    lines = [vm["name"], "undercloud" if vm.get("role") == "undercloud" else "profile: %s" % vm.get("profile")]
    lines.append("%s vCPU, %s MiB" % (vm.get("vcpus"), vm.get("memory_mb")))
    bmc = vm.get("bmc")
    if bmc:
        lines.append("BMC %s %s:%s" % (bmc["type"], bmc["address"], bmc["port"]))
    return "\n".join(lines)


def graph(summary):
    """A graphviz.Graph of ``summary`` (lab.json)."""
    import graphviz  # the Python binding; Graphviz's dot does the layout

    network = summary["network"]
    picture = graphviz.Graph("lab", graph_attr={"rankdir": "LR", "fontname": "Helvetica", "label":
                                                "lab %s on %s" % (summary["lab"], summary.get("virthost")),
                                                "labelloc": "t"},
                             node_attr={"fontname": "Helvetica", "fontsize": "10", "shape": "box", "style": "rounded"},
                             edge_attr={"fontname": "Helvetica", "fontsize": "8"})
    with picture.subgraph(name="cluster_virthost") as host:
        host.attr(label="virthost %s (libvirt %s, %s)" % (summary.get("virthost"), summary.get("libvirt_uri"),
                                                          summary.get("domain_type")), style="dashed")
        host.node("bridge", "Open vSwitch bridge %s\nlibvirt network %s" % (network["bridge"], network["name"]),
                  shape="box3d")
        for portgroup in network["portgroups"]:
            provisioning = portgroup["name"] == network.get("provisioning_portgroup")
            host.node("pg/%s" % portgroup["name"], portgroup_label(portgroup) + ("\n(provisioning)" if provisioning else ""),
                      shape="hexagon", style="filled", fillcolor="#e8f0fe" if provisioning else "#f1f3f4")
            host.edge("pg/%s" % portgroup["name"], "bridge")
        for vm in summary["vms"]:
            undercloud = vm.get("role") == "undercloud"
            host.node("vm/%s" % vm["name"], vm_label(vm), style="rounded,filled",
                      fillcolor="#fce8b2" if undercloud else "#e6f4ea", penwidth="2" if undercloud else "1")
            for nic in vm.get("nics", []):
                host.edge("vm/%s" % vm["name"], "pg/%s" % nic["portgroup"], label=nic["mac"])
    return picture


def svg(summary):
    """lab.svg's text."""
    text = graph(summary).pipe(format="svg", encoding="utf-8")
    return text
