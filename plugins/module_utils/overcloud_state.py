# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the validate phase reads of a deployed overcloud, from the undercloud.

The commands (the undercloud's and the overcloud's CLI, and Open vSwitch on every node over
SSH), run through one ``run(argv) -> (rc, stdout, stderr)`` callable so that every step is
unit-tested with recorded outputs. The judgement of what is read is ``overcloud_validation``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.labkit.tripleo.plugins.module_utils.ovs import table

# Run on each OVS node: the bridges, then every interface with its tunnel options, as two
# JSON documents. --format is global to ovs-vsctl (a command after `--` refuses it);
# tests/integration/test_validation_inputs.py runs this exact argv against real Open vSwitch.
OVS_QUERY = ["sudo", "ovs-vsctl", "--format=json", "--", "--columns=name", "list", "Bridge",
             "--", "--columns=name,type,options", "list", "Interface"]
SSH_OPTIONS = ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=accept-new", "-o", "ConnectTimeout=20"]
PARALLEL = 8


class ReadError(Exception):
    """A command whose answer validation cannot do without failed."""


def commands(openstack="openstack"):
    """The openstack commands the validate phase reads (argv lists); ``network_show`` takes an ID.

    ``openstack`` is the client command (lab.tripleo.openstack_command).

    Parsed by the releases' own clients in tests/integration/test_tripleo_formats.py.
    """
    return {
        "servers": [openstack, "server", "list", "-f", "json"],
        "baremetal_nodes": [openstack, "baremetal", "node", "list", "--long", "-f", "json"],
        "agents": [openstack, "network", "agent", "list", "-f", "json"],
        "networks": [openstack, "network", "list", "-f", "json", "-c", "ID"],
        "network_show": [openstack, "network", "show", "-f", "json"],
    }


def ctlplane_address(networks):
    """'ctlplane=192.168.255.12' or {'ctlplane': ['192.168.255.12']} -> '192.168.255.12'."""
    if isinstance(networks, dict):
        values = networks.get("ctlplane") or []
        return values[0] if values else None
    match = re.search(r"ctlplane=([0-9a-fA-F.:]+)", networks or "")
    return match.group(1) if match else None


def short_name(host):
    return (host or "").split(".")[0]


def servers_from_baremetal(node_rows, deployed):
    """Server rows for releases without Nova on the undercloud (Wallaby on).

    ``node_rows``: ``openstack baremetal node list --long -f json``; ``deployed``: the
    parsed baremetal-deployed.yaml that ``overcloud node provision`` wrote, whose
    DeployedServerPortMap holds each host's ctlplane address.
    """
    port_map = (deployed or {}).get("parameter_defaults", {}).get("DeployedServerPortMap", {})
    addresses = {}
    for key, port in port_map.items():
        if key.endswith("-ctlplane") and port.get("fixed_ips"):
            addresses[key[:-len("-ctlplane")]] = port["fixed_ips"][0].get("ip_address")
    servers = []
    for row in node_rows:
        info = row.get("instance_info") or {}
        hostname = info.get("display_name") if isinstance(info, dict) else None
        if not hostname:
            continue
        state = row.get("provision_state")
        servers.append({"Name": hostname, "Status": "ACTIVE" if state == "active" else str(state).upper(),
                        "Networks": {"ctlplane": [addresses[hostname]]} if addresses.get(hostname) else {}})
    return servers


def ovs_state(stdout):
    """{"bridges": [...], "interfaces": rows} from the output of OVS_QUERY, or None when it is
    not the two JSON documents the query prints (the node's check then fails as not collected)."""
    documents = [line for line in (stdout or "").splitlines() if line.strip()]
    if len(documents) != 2:
        return None
    try:
        bridges, interfaces = table(documents[0]), table(documents[1])
    except (ValueError, KeyError, TypeError):
        return None
    return {"bridges": sorted(b["name"] for b in bridges), "interfaces": interfaces}


def ovs_query_argv(ssh_user, address):
    return ["ssh"] + SSH_OPTIONS + ["%s@%s" % (ssh_user, address)] + OVS_QUERY


def _json(run, argv):
    rc, out, err = run(argv)
    if rc != 0:
        raise ReadError("%s failed (rc %s): %s" % (" ".join(argv), rc, (err or out).strip()[-2000:]))
    try:
        return json.loads(out)
    except ValueError:
        raise ReadError("%s printed no JSON: %s" % (" ".join(argv), out.strip()[-500:]))


def read(undercloud, overcloud, ssh, settings, load_deployed):
    """Everything validation judges: {"servers", "agents", "networks", "ovs"}.

    ``undercloud``, ``overcloud`` and ``ssh`` run an argv (``run(argv) -> (rc, stdout,
    stderr)``): the first two with the undercloud's and the overcloud's credentials.
    ``settings``: ``openstack_command``, ``nova_servers`` (the release lists overcloud servers
    in Nova; from Wallaby they are metalsmith's, whose addresses ``load_deployed()`` reads
    from baremetal-deployed.yaml), ``ssh_user``. A node whose Open vSwitch cannot be read is
    left out of ``ovs``, so its check fails as not collected.
    """
    cli = commands(settings["openstack_command"])
    if settings["nova_servers"]:
        servers = _json(undercloud, cli["servers"])
    else:
        servers = servers_from_baremetal(_json(undercloud, cli["baremetal_nodes"]), load_deployed())
    agents = _json(overcloud, cli["agents"])
    networks = [_json(overcloud, cli["network_show"] + [row["ID"]]) for row in _json(overcloud, cli["networks"])]

    def read_ovs(server):
        rc, out, _err = ssh(ovs_query_argv(settings["ssh_user"], ctlplane_address(server["Networks"])))
        return short_name(server["Name"]), ovs_state(out) if rc == 0 else None
    reachable = [s for s in servers if ctlplane_address(s.get("Networks"))]
    with ThreadPoolExecutor(max_workers=min(PARALLEL, len(reachable) or 1)) as pool:
        ovs = dict((name, state) for name, state in pool.map(read_ovs, reachable) if state is not None)
    return {"servers": servers, "agents": agents, "networks": networks, "ovs": ovs}
