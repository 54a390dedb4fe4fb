# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""undercloud.conf for a lab: checked, then rendered in the layout of its release."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.labkit.tripleo.plugins.module_utils.tripleo_release import release as release_info

SUBNET = "ctlplane-subnet"
# VXLAN adds 50 bytes (outer Ethernet 14, IP 20, UDP 8, VXLAN 8) to every packet.
VXLAN_OVERHEAD = 50


class UndercloudConfError(ValueError):
    def __init__(self, errors):
        self.errors = list(errors)
        super(UndercloudConfError, self).__init__("undercloud.conf would not work:\n"
                                                  + "\n".join("  - " + e for e in self.errors))


def _ip(value):
    return ipaddress.ip_address(value)


def _range(text):
    start, end = [part.strip() for part in text.split(",")]
    return _ip(start), _ip(end)


def check(conf, node_count, path="lab.tripleo.undercloud"):
    """Every rule that makes an undercloud install or a deploy fail late, checked early.

    ``conf``: the normalised undercloud settings (see lab_model). Errors name the field.
    """
    errors = []
    cidr = ipaddress.ip_network(conf["network_cidr"])
    local = ipaddress.ip_interface(conf["local_ip"])
    pools = {
        "dhcp_start..dhcp_end": (_ip(conf["dhcp_start"]), _ip(conf["dhcp_end"])),
        "inspection_iprange": _range(conf["inspection_iprange"]),
    }
    for name, (start, end) in pools.items():
        if start > end:
            errors.append("%s.%s: starts after it ends (%s > %s)" % (path, name, start, end))
        for address in (start, end):
            if address not in cidr:
                errors.append("%s.%s: %s is outside network_cidr %s" % (path, name, address, cidr))
    (d_start, d_end), (i_start, i_end) = pools["dhcp_start..dhcp_end"], pools["inspection_iprange"]
    if d_start <= i_end and i_start <= d_end:
        errors.append("%s.inspection_iprange: %s-%s overlaps the deploy pool %s-%s"
                      % (path, i_start, i_end, d_start, d_end))
    if local.network != cidr:
        errors.append("%s.local_ip: %s is not in network_cidr %s (or has another prefix length)"
                      % (path, local, cidr))
    addresses = {"local_ip": local.ip, "network_gateway": _ip(conf["network_gateway"])}
    for key in ("undercloud_public_host", "undercloud_admin_host"):
        if conf.get(key):
            addresses[key] = _ip(conf[key])
    for key, address in addresses.items():
        if key != "local_ip" and key != "network_gateway" and address not in cidr:
            errors.append("%s.%s: %s is outside network_cidr %s" % (path, key, address, cidr))
        if key == "network_gateway" and address not in cidr:
            errors.append("%s.network_gateway: %s is outside network_cidr %s" % (path, address, cidr))
        for name, (start, end) in pools.items():
            if start <= address <= end:
                errors.append("%s.%s: %s lies inside %s %s-%s" % (path, key, address, name, start, end))
    for key in ("undercloud_public_host", "undercloud_admin_host"):
        if key in addresses and addresses[key] == local.ip:
            errors.append("%s.%s: must differ from local_ip %s" % (path, key, local.ip))
    if conf["scheduler_max_attempts"] < node_count:
        errors.append("%s.scheduler_max_attempts: %d is less than the %d overcloud nodes"
                      % (path, conf["scheduler_max_attempts"], node_count))
    if conf["local_mtu"] + VXLAN_OVERHEAD > conf["underlay_mtu"]:
        errors.append("%s.local_mtu: %d + %d bytes of VXLAN does not fit the %d-byte underlay MTU"
                      % (path, conf["local_mtu"], VXLAN_OVERHEAD, conf["underlay_mtu"]))
    pool_size = int(d_end) - int(d_start) + 1
    if pool_size < node_count:
        errors.append("%s.dhcp_start..dhcp_end: %d addresses for %d nodes" % (path, pool_size, node_count))
    inspection_size = int(i_end) - int(i_start) + 1
    if inspection_size < node_count:
        errors.append("%s.inspection_iprange: %d addresses for %d nodes" % (path, inspection_size, node_count))
    if errors:
        raise UndercloudConfError(errors)


def _value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def sections(conf, release):
    """The undercloud.conf content as ordered (section, [(key, value)]) pairs."""
    info = release_info(release)
    default = [
        ("undercloud_hostname", conf["undercloud_hostname"]),
        ("local_ip", conf["local_ip"]),
        ("undercloud_public_host", conf["undercloud_public_host"]),
        ("undercloud_admin_host", conf["undercloud_admin_host"]),
        ("undercloud_nameservers", conf["undercloud_nameservers"]),
        ("generate_service_certificate", conf["generate_service_certificate"]),
        ("local_interface", conf["local_interface"]),
        ("local_mtu", conf["local_mtu"]),
        ("scheduler_max_attempts", conf["scheduler_max_attempts"]),
    ]
    if conf.get("container_images_file") and info["containerized_undercloud"]:
        default.append(("container_images_file", conf["container_images_file"]))
    if not info["subnet_sections"]:
        default += [
            ("network_gateway", conf["network_gateway"]),
            ("network_cidr", conf["network_cidr"]),
            ("masquerade_network", conf["network_cidr"] if conf["masquerade"] else ""),
            ("dhcp_start", conf["dhcp_start"]),
            ("dhcp_end", conf["dhcp_end"]),
            ("inspection_iprange", conf["inspection_iprange"]),
        ]
        result = [("DEFAULT", default + sorted(conf.get("extra", {}).items()))]
        return [(name, [(k, _value(v)) for k, v in items if v != ""]) for name, items in result]
    default += [("local_subnet", SUBNET), ("subnets", SUBNET)]
    subnet = [
        ("cidr", conf["network_cidr"]),
        ("dhcp_start", conf["dhcp_start"]),
        ("dhcp_end", conf["dhcp_end"]),
        ("inspection_iprange", conf["inspection_iprange"]),
        ("gateway", conf["network_gateway"]),
        ("masquerade", conf["masquerade"]),
    ]
    result = [("DEFAULT", default + sorted(conf.get("extra", {}).items())), (SUBNET, subnet)]
    return [(name, [(k, _value(v)) for k, v in items]) for name, items in result]


def render(conf, release):
    lines = ["# undercloud.conf for TripleO %s, written by labkit.tripleo" % release]
    for name, items in sections(conf, release):
        lines.append("")
        lines.append("[%s]" % name)
        lines.extend("%s = %s" % (key, value) for key, value in items)
    return "\n".join(lines) + "\n"
