# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Opening libvirt from a module, with one clear error when the binding is missing, and what
every module does with the domains it finds there: read their definition, NICs and mark, remove them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import traceback

from ansible_collections.labkit.tripleo.plugins.module_utils import ownership
from ansible_collections.labkit.tripleo.plugins.module_utils.libvirt_domain_xml import parse_domain, restore_portgroups
from ansible_collections.labkit.tripleo.plugins.module_utils.libvirt_xml import mark_of

try:
    import libvirt
    LIBVIRT_IMPORT_ERROR = None
except ImportError:
    libvirt = None
    LIBVIRT_IMPORT_ERROR = traceback.format_exc()


# The uri option of every module that talks to libvirt (doc fragment labkit.tripleo.libvirt).
URI_OPTION = dict(type="str", default="qemu:///system")


def connect(module, uri):
    """Open ``uri`` read-write or fail the module with the reason."""
    if libvirt is None:
        module.fail_json(
            msg="the libvirt Python binding is missing on the virthost "
                "(python3-libvirt, or libvirt-python in the interpreter's environment)",
            exception=LIBVIRT_IMPORT_ERROR)
    try:
        return libvirt.open(uri)
    except libvirt.libvirtError as exc:
        module.fail_json(msg="cannot connect to libvirt at %s: %s" % (uri, exc))


def lookup(getter, name):
    """A libvirt object by name, or None when it does not exist."""
    try:
        return getter(name)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() in (libvirt.VIR_ERR_NO_NETWORK, libvirt.VIR_ERR_NO_DOMAIN):
            return None
        raise


def inactive_xml(dom):
    """A domain's persistent definition (what was defined), not what it runs with now."""
    return dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)


def nics(dom, fallback):
    """NICs as libvirt has them (with the OVS port name while running); without a domain (one
    not defined in check mode), the NICs of ``fallback`` (a spec's) with no port name."""
    if dom is None:
        return [{"mac": n["mac"], "network": n["network"], "portgroup": n["portgroup"], "target": None}
                for n in fallback]
    return parse_domain(dom.XMLDesc(0))["nics"]


def is_labs(dom, params):
    """Whether a domain's ownership mark is the lab's (``ownership.verdict``: ours or to stamp)."""
    return ownership.verdict(mark_of(inactive_xml(dom)), params) != ownership.FOREIGN


def lab_domains(conn, params):
    """Every domain whose mark is the lab's, listed in the description or not; yielded one by
    one, each judged when the caller gets to it."""
    return (dom for dom in conn.listAllDomains(0) if is_labs(dom, params))


def find_domains(conn, names, params):
    """The domains of these names that exist ({name: domain}), and the marks of those that are
    not the lab's ([(name, (lab, instance))], in the order of ``names``)."""
    existing, foreign = {}, []
    for name in names:
        dom = lookup(conn.lookupByName, name)
        if dom is not None:
            found = mark_of(inactive_xml(dom))
            if ownership.verdict(found, params) == ownership.FOREIGN:
                foreign.append((name, found))
            existing[name] = dom
    return existing, foreign


def undefine(dom):
    """Power a domain off when it runs, and undefine it with its managed save, snapshot metadata and NVRAM."""
    if dom.isActive():
        dom.destroy()
    flags = (libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
             | libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
             | libvirt.VIR_DOMAIN_UNDEFINE_NVRAM)
    dom.undefineFlags(flags)


def read_domains(conn, vms, params, network=None):
    """The listed VMs' domains as libvirt has them: returns (domains, missing, foreign).

    Each domain: name, whether it runs, its console log and NICs (MAC, portgroup; the portgroup
    taken from the VM's description where libvirt reports only the network ``network``).
    missing: the names of the VMs with no domain; foreign: "name (owner: ...)" of each VM whose
    domain is not the lab's.
    """
    domains, missing, foreign = [], [], []
    for vm in vms:
        dom = lookup(conn.lookupByName, vm["name"])
        if dom is None:
            missing.append(vm["name"])
            continue
        xml = inactive_xml(dom)
        found = mark_of(xml)
        if ownership.verdict(found, params) == ownership.FOREIGN:
            foreign.append("%s (owner: %s)" % (vm["name"], ownership.describe(*found)))
            continue
        domains.append({"name": vm["name"], "active": bool(dom.isActive()),
                        "console_log": parse_domain(xml)["console_log"],
                        "nics": restore_portgroups(nics(dom, []), vm.get("nics") or [], network)})
    return domains, missing, foreign
