# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The TripleO half of the lab model: release, undercloud VM, undercloud.conf, deploy.
Called by ``lab_model.normalize`` with its checker."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

from ansible_collections.labkit.tripleo.plugins.module_utils.lab_checks import (
    COMMAND_RE, CONF_KEY_RE, IFNAME_RE, NAME_RE, check_abs_path, check_address, type_name)
from ansible_collections.labkit.tripleo.plugins.module_utils.tripleo_release import RELEASES
from ansible_collections.labkit.tripleo.plugins.module_utils.undercloud_conf import (
    UndercloudConfError, check as check_undercloud)

# Host directories a cloud image is never read from: a backing file there hands it to qemu.
SYSTEM_DIRS = ("/boot", "/dev", "/etc", "/proc", "/root", "/run", "/sys")
IMAGE_SUFFIXES = (".qcow2", ".img", ".raw")

# The reference lab's undercloud (lab-reference.md section 4).
UNDERCLOUD_CONF_SCHEMA = {
    "undercloud_hostname": "undercloud.openstack.rnd",
    "local_ip": "192.168.255.1/24",
    "network_gateway": "192.168.255.1",
    "undercloud_public_host": "192.168.255.2",
    "undercloud_admin_host": "192.168.255.3",
    "undercloud_nameservers": ["192.168.255.253"],
    "generate_service_certificate": False,
    "local_interface": "eth0",
    "local_mtu": 1450,
    "underlay_mtu": 1500,
    "network_cidr": "192.168.255.0/24",
    "masquerade": True,
    "dhcp_start": "192.168.255.11",
    "dhcp_end": "192.168.255.50",
    "inspection_iprange": "192.168.255.51,192.168.255.100",
    "scheduler_max_attempts": None,
    "container_images_file": "/home/stack/containers-prepare-parameter.yaml",
    "extra": {},
}
MANAGEMENT_SCHEMA = {
    "address": None,
    "gateway": None,
    "nameservers": [],
}
DEPLOY_SCHEMA = {
    "stack": "overcloud",
    "templates": None,
    "environment_files": [],
    "extra_args": [],
    "libvirt_type": "auto",
    "timeout_minutes": 120,
}
TRIPLEO_SCHEMA = {
    "release": "wallaby",
    "introspect": True,
    "provide": True,
    # How the TripleO phases reach the undercloud's CLI.
    "stack_user": "stack",
    "stack_home": "/home/stack",
    "rc_file": None,
    "openstack_command": "openstack",
    "import_timeout_minutes": 30,
    # The lab's undercloud VM brought up from a cloud image (path or URL on the virthost).
    "undercloud_image": None,
    "ssh_public_key": None,
    "management": {},
    "undercloud": {},
    "deploy": {},
}


def normalize_tripleo(check, raw, node_count, explicit):
    """Settings of the TripleO phases.

    Without an explicit ``tripleo`` section (a host-side-only lab) the reference
    undercloud's pools are not held against the node count here; the undercloud
    phase checks them again before it renders undercloud.conf.
    """
    tripleo = check.mapping(raw, "lab.tripleo", TRIPLEO_SCHEMA)
    if tripleo is None:
        return None
    if tripleo["release"] not in RELEASES:
        check.error("lab.tripleo.release", "%r is not supported (supported: %s)"
                    % (tripleo["release"], ", ".join(sorted(RELEASES))))
    for key in ("introspect", "provide"):
        if not isinstance(tripleo[key], bool):
            check.error("lab.tripleo." + key, "must be true or false, got %s" % type_name(tripleo[key]))
    check.string(tripleo["stack_user"], "lab.tripleo.stack_user", NAME_RE, "user name")
    check_abs_path(check, tripleo["stack_home"], "lab.tripleo.stack_home")
    check_abs_path(check, tripleo["rc_file"], "lab.tripleo.rc_file", nullable=True)
    check.string(tripleo["openstack_command"], "lab.tripleo.openstack_command", COMMAND_RE,
                 "command (a name or path; letters, digits, '/', '.', '_', '-')")
    if tripleo["rc_file"] is None and isinstance(tripleo["stack_home"], str):
        tripleo["rc_file"] = tripleo["stack_home"].rstrip("/") + "/stackrc"
    check.integer(tripleo["import_timeout_minutes"], "lab.tripleo.import_timeout_minutes", 1)
    image = tripleo["undercloud_image"]
    if check.string(image, "lab.tripleo.undercloud_image", nullable=True) and image is not None:
        if re.match(r"https?://", image):
            if re.search(r"[\s\"'<>\\`]", image):
                check.error("lab.tripleo.undercloud_image", "URL must not contain spaces or quotes")
        elif check_abs_path(check, image, "lab.tripleo.undercloud_image"):
            if any(image == d or image.startswith(d + "/") for d in SYSTEM_DIRS) \
                    or not image.endswith(IMAGE_SUFFIXES):
                check.error("lab.tripleo.undercloud_image",
                            "must be an image file (%s) outside the host's system directories (%s), or an "
                            "http(s) URL" % (", ".join(IMAGE_SUFFIXES), ", ".join(SYSTEM_DIRS)))
    check.string(tripleo["ssh_public_key"], "lab.tripleo.ssh_public_key", nullable=True)
    management = check.mapping(tripleo["management"], "lab.tripleo.management", MANAGEMENT_SCHEMA)
    if management is not None:
        if management["address"] is not None:
            try:
                if "/" not in str(management["address"]):
                    raise ValueError
                ipaddress.ip_interface(management["address"])
            except ValueError:
                check.error("lab.tripleo.management.address",
                            "%r is not an address with prefix length" % management["address"])
        if management["gateway"] is not None:
            check_address(check, management["gateway"], "lab.tripleo.management.gateway")
        if check.sequence(management["nameservers"], "lab.tripleo.management.nameservers"):
            for index, server in enumerate(management["nameservers"]):
                check_address(check, server, "lab.tripleo.management.nameservers[%d]" % index)
    tripleo["management"] = management
    if image is not None:
        if tripleo["ssh_public_key"] is None:
            check.error("lab.tripleo.ssh_public_key", "is required with undercloud_image (the key to reach the VM)")
        if management is not None and management["address"] is None:
            check.error("lab.tripleo.management.address",
                        "is required with undercloud_image (the undercloud's address on its management NIC)")

    path = "lab.tripleo.undercloud"
    conf = check.mapping(tripleo["undercloud"], path, UNDERCLOUD_CONF_SCHEMA)
    if conf is not None:
        before = len(check.errors)
        if conf["scheduler_max_attempts"] is None:
            conf["scheduler_max_attempts"] = max(10, node_count)
        for key in ("local_mtu", "underlay_mtu", "scheduler_max_attempts"):
            check.integer(conf[key], "%s.%s" % (path, key), 1)
        for key in ("generate_service_certificate", "masquerade"):
            if not isinstance(conf[key], bool):
                check.error("%s.%s" % (path, key), "must be true or false")
        check.string(conf["undercloud_hostname"], path + ".undercloud_hostname",
                     re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?\Z"), "host name")
        check.string(conf["local_interface"], path + ".local_interface", IFNAME_RE, "interface name")
        check_abs_path(check, conf["container_images_file"], path + ".container_images_file")
        if check.sequence(conf["undercloud_nameservers"], path + ".undercloud_nameservers"):
            for index, server in enumerate(conf["undercloud_nameservers"]):
                check_address(check, server, "%s.undercloud_nameservers[%d]" % (path, index))
        for key in ("network_gateway", "undercloud_public_host", "undercloud_admin_host", "dhcp_start", "dhcp_end"):
            check_address(check, conf[key], "%s.%s" % (path, key))
        try:
            if "/" not in str(conf["local_ip"]):
                raise ValueError
            ipaddress.ip_interface(conf["local_ip"])
        except ValueError:
            check.error(path + ".local_ip", "%r is not an address with prefix length" % conf["local_ip"])
        try:
            ipaddress.ip_network(conf["network_cidr"])
        except (ValueError, TypeError):
            check.error(path + ".network_cidr", "%r is not a network" % conf["network_cidr"])
        parts = conf["inspection_iprange"].split(",") if isinstance(conf["inspection_iprange"], str) else []
        if len(parts) != 2:
            check.error(path + ".inspection_iprange", "must be 'first,last', e.g. 192.168.255.51,192.168.255.100")
        else:
            for part in parts:
                check_address(check, part.strip(), path + ".inspection_iprange")
        if not isinstance(conf["extra"], dict):
            check.error(path + ".extra", "must be a mapping of further undercloud.conf keys")
        else:
            for key in sorted(conf["extra"], key=str):
                if not isinstance(key, str) or not CONF_KEY_RE.match(key):
                    check.error("%s.extra.%s" % (path, key),
                                "is not an undercloud.conf key (lower-case letters, digits and '_')")
                elif key in UNDERCLOUD_CONF_SCHEMA:
                    check.error("%s.extra.%s" % (path, key),
                                "is a checked key; set lab.tripleo.undercloud.%s instead" % key)
                elif not isinstance(conf["extra"][key], (str, int, float, bool)) \
                        and not (isinstance(conf["extra"][key], list)
                                 and all(isinstance(v, (str, int)) for v in conf["extra"][key])):
                    check.error("%s.extra.%s" % (path, key), "must be a string, number, boolean or list of them")
        if len(check.errors) == before and explicit:
            # Only meaningful once every value parses.
            try:
                check_undercloud(conf, node_count, path)
            except UndercloudConfError as exc:
                check.errors.extend(exc.errors)
    tripleo["undercloud"] = conf

    deploy = check.mapping(tripleo["deploy"], "lab.tripleo.deploy", DEPLOY_SCHEMA)
    if deploy is not None:
        check.string(deploy["stack"], "lab.tripleo.deploy.stack", NAME_RE, "stack name")
        check_abs_path(check, deploy["templates"], "lab.tripleo.deploy.templates", nullable=True)
        for key in ("environment_files", "extra_args"):
            if check.sequence(deploy[key], "lab.tripleo.deploy." + key):
                for index, item in enumerate(deploy[key]):
                    check.string(item, "lab.tripleo.deploy.%s[%d]" % (key, index))
        if deploy["libvirt_type"] not in ("auto", "kvm", "qemu"):
            check.error("lab.tripleo.deploy.libvirt_type", "must be auto, kvm or qemu")
        check.integer(deploy["timeout_minutes"], "lab.tripleo.deploy.timeout_minutes", 1)
    tripleo["deploy"] = deploy
    return tripleo
