# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is the deployed overcloud healthy? The checks of lab-reference section 6.

Works on what the CLI printed (JSON, read by ``overcloud_state``), so every rule is
unit-tested on recorded outputs.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.labkit.tripleo.plugins.module_utils.overcloud_state import ctlplane_address, short_name as _short

OVS_PROFILES = ("control", "compute")
CONTROLLER_AGENTS_OVS = ("Open vSwitch agent", "L3 agent", "DHCP agent", "Metadata agent")
COMPUTE_AGENTS_OVS = ("Open vSwitch agent",)
CONTROLLER_AGENTS_OVN = ("OVN Controller Gateway agent", "OVN Controller agent")
COMPUTE_AGENTS_OVN = ("OVN Controller agent", "OVN Metadata agent")


def _truthy(value):
    """Agents list 'Alive' as True or ':-)', 'State' as True or 'UP'."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", ":-)", "up", "yes")


class Report(object):
    def __init__(self):
        self.checks = []

    def add(self, name, ok, detail):
        self.checks.append({"check": name, "ok": bool(ok), "detail": detail})

    def as_dict(self):
        return {"ok": all(c["ok"] for c in self.checks), "checks": self.checks}


def check_servers(report, servers, expected_count):
    """Every overcloud server ACTIVE with a ctlplane address; returns {hostname: address}."""
    addresses = {}
    for server in servers:
        name = server.get("Name") or server.get("name")
        status = server.get("Status") or server.get("status")
        address = ctlplane_address(server.get("Networks") or server.get("networks"))
        report.add("server %s is ACTIVE on ctlplane" % name, status == "ACTIVE" and address is not None,
                   "status %s, ctlplane %s" % (status, address or "none"))
        if address:
            addresses[_short(name)] = address
    report.add("%d overcloud servers" % expected_count, len(servers) == expected_count,
               "found %d" % len(servers))
    return addresses


def check_agents(report, agents, hosts_by_profile):
    """Network agents alive and UP where they belong (ML2/OVS or OVN, as deployed)."""
    by_host = {}
    for agent in agents:
        host = _short(agent.get("Host") or agent.get("host"))
        kind = agent.get("Agent Type") or agent.get("agent_type")
        alive = _truthy(agent.get("Alive", agent.get("is_alive")))
        up = _truthy(agent.get("State", agent.get("is_admin_state_up")))
        by_host.setdefault(host, {})[kind] = alive and up
        if not (alive and up):
            report.add("%s on %s is alive and UP" % (kind, host), False, "alive %s, state %s"
                       % (agent.get("Alive"), agent.get("State")))
    ovn = any(kind.startswith("OVN") for kinds in by_host.values() for kind in kinds)
    wanted = {"control": CONTROLLER_AGENTS_OVN if ovn else CONTROLLER_AGENTS_OVS,
              "compute": COMPUTE_AGENTS_OVN if ovn else COMPUTE_AGENTS_OVS}
    for profile, hosts in hosts_by_profile.items():
        for host in hosts:
            for kind in wanted.get(profile, ()):
                state = by_host.get(_short(host), {}).get(kind)
                report.add("%s on %s" % (kind, host), state is True,
                           "missing" if state is None else ("alive and UP" if state else "down"))
    return "ovn" if ovn else "openvswitch"


def check_ovs_node(report, host, bridges, tunnels, peers, mechanism):
    """Bridges present, and (ML2/OVS) one VXLAN tunnel in br-tun to every other OVS node."""
    wanted = ["br-int", "br-ex"] + (["br-tun"] if mechanism == "openvswitch" else [])
    missing = [b for b in wanted if b not in bridges]
    report.add("bridges %s on %s" % ("/".join(wanted), host), not missing,
               "missing: %s" % ", ".join(missing) if missing else "present")
    if mechanism != "openvswitch":
        return
    remotes = sorted(set(t["remote_ip"] for t in tunnels if t.get("type") == "vxlan"))
    expected = sorted(p for p in peers if p is not None)
    report.add("VXLAN mesh from %s" % host, remotes == expected,
               "tunnels to %s, expected %s" % (", ".join(remotes) or "none", ", ".join(expected) or "none"))


def check_mtu(report, networks, expected_mtu):
    tenant = [n for n in networks if (n.get("provider:network_type") or n.get("provider_network_type")) in
              ("vxlan", "geneve")]
    if not tenant:
        report.add("tenant network MTU %d" % expected_mtu, True, "no tenant network to check yet")
        return
    for net in tenant:
        mtu = net.get("mtu")
        report.add("MTU of network %s" % net.get("name"), mtu == expected_mtu, "mtu %s" % mtu)


def parse_tunnels(interface_rows):
    """``ovs-vsctl --format=json --columns=name,type,options list Interface`` (decoded)."""
    tunnels = []
    for row in interface_rows:
        options = row.get("options") or {}
        if row.get("type") in ("vxlan", "geneve") and options.get("remote_ip"):
            tunnels.append({"name": row["name"], "type": row["type"], "remote_ip": options["remote_ip"]})
    return tunnels


def validate(nodes, servers, agents, ovs, networks, expected_mtu=1450):
    """The whole report.

    ``nodes``: lab nodes (name, profile); ``servers``: server list rows; ``agents``:
    network agent list rows; ``ovs``: {hostname: {"bridges": [...], "interfaces": rows}};
    ``networks``: network show rows (with mtu and provider:network_type).
    """
    report = Report()
    addresses = check_servers(report, servers, len(nodes))
    hosts_by_profile = {}
    for server in servers:
        name = _short(server.get("Name") or server.get("name"))
        profile = profile_of_hostname(name)
        hosts_by_profile.setdefault(profile, []).append(name)
    mechanism = check_agents(report, agents, hosts_by_profile)
    ovs_hosts = [h for p in OVS_PROFILES for h in hosts_by_profile.get(p, [])]
    for host in ovs_hosts:
        data = ovs.get(host)
        if data is None:
            report.add("Open vSwitch state of %s" % host, False, "not collected")
            continue
        peers = [addresses.get(other) for other in ovs_hosts if other != host]
        check_ovs_node(report, host, data["bridges"], parse_tunnels(data["interfaces"]), peers, mechanism)
    check_mtu(report, networks, expected_mtu)
    result = report.as_dict()
    result["mechanism"] = mechanism
    return result


def profile_of_hostname(hostname):
    """TripleO's default host names: overcloud-controller-0, overcloud-novacompute-1..."""
    name = hostname.lower()
    if "controller" in name:
        return "control"
    if "compute" in name:
        return "compute"
    if "ceph" in name or "storage" in name:
        return "ceph-storage"
    return "other"


def render(result):
    lines = ["Overcloud validation: %s (%s)" % ("PASSED" if result["ok"] else "FAILED", result["mechanism"]), ""]
    for check in result["checks"]:
        lines.append("[%s] %s: %s" % ("ok" if check["ok"] else "FAIL", check["check"], check["detail"]))
    return "\n".join(lines) + "\n"
