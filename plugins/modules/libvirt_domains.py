#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: libvirt_domains
short_description: Every VM of a lab as a libvirt domain, in one call
version_added: "0.1.0"
description:
  - What users know as C(virsh define), C(virsh domiflist), C(virsh destroy) and
    C(virsh undefine), for all VMs of a lab at once, through libvirt-python.
  - Each VM gets virtio disks and NICs; NICs sit on their portgroups in the declared order,
    with the MACs given (the lab model derives them deterministically). Overcloud nodes
    boot from their provisioning NIC first, then from disk; the undercloud boots from disk.
  - Every domain writes its serial console to the VM's C(console_log) file (libvirt's
    C(<serial><log append='off'>), truncated at each power-on), and SeaBIOS mirrors its own and
    iPXE's screen output to that serial port, so a node that does not network-boot leaves its
    reason in the file.
  - With I(nic_offloads=false) every NIC has its checksum and segmentation offloads turned off,
    which Open vSwitch's userspace (netdev) datapath needs, since it forwards partially
    checksummed packets as they are and the receiver drops guest TCP.
  - Domains are defined, not started. A domain that is running is left running.
  - Re-running with the same description changes nothing. A changed type, vCPU count,
    memory, disk list, NIC list, NIC offloads or console log redefines the domain (keeping its UUID) and reports the
    drift; a running domain picks the change up at its next boot. Boot elements are not
    compared, because VirtualBMC's set_boot_device rewrites them.
  - Every domain is marked as owned by the lab (its name and I(instance)) in its C(<metadata>).
    Before changing anything, all names are checked; if any domain of the same name exists
    without this lab's mark, or with another instance's, the module fails and changes nothing.
  - With I(prune=true), the lab's own domains that I(vms) no longer lists (a node removed from
    the description) are powered off and undefined, and reported as C(removed); domains
    without the lab's mark are never touched.
  - Written for this collection because C(community.libvirt.virt) defines from raw XML only,
    reports a define as changed in check mode when nothing changes, and fails when
    undefining a missing domain.
options:
  network:
    description: The libvirt network the NICs attach to. Required with I(state=present).
    type: str
  domain_type:
    description: libvirt domain type, C(kvm) with hardware virtualisation, C(qemu) (TCG) without.
    type: str
    choices: [kvm, qemu]
    default: kvm
  nic_offloads:
    description:
      - Whether NICs keep qemu's checksum and segmentation offloads. Turn them off where the
        lab's Open vSwitch bridge uses the userspace (netdev) datapath.
    type: bool
    default: true
  prune:
    description: With I(state=present), remove the lab's domains that I(vms) does not list.
    type: bool
    default: false
  running:
    description:
      - Names of domains to start when they are not running (with I(state=present)), such as
        the undercloud brought up from a cloud image. Other domains are never started.
    type: list
    elements: str
    default: []
  vms:
    description:
      - The VMs, as the lab model normalises them (C(lab_model.vms)). Each has C(name),
        C(role) (C(undercloud) or C(node)), C(vcpus), C(memory_mb), C(disks) (C(device),
        C(path)), C(nics) (C(portgroup), C(mac), C(provisioning)) and C(console_log) (the file
        its serial console goes to). Other keys are ignored.
    type: list
    elements: dict
    default: []
  state:
    description:
      - C(present) defines the listed VMs.
      - C(absent) powers off and undefines every domain that carries this lab's mark,
        listed or not, and nothing else, and removes the console log its definition names (with
        virtlogd's rotated copies). Disk files are left to M(labkit.tripleo.qcow2_disks).
      - M(labkit.tripleo.libvirt_domains_info) reads them without changing anything.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - labkit.tripleo.libvirt
  - labkit.tripleo.attributes
  - labkit.tripleo.owner
requirements:
  - libvirt Python binding on the virthost
author:
  - labkit.tripleo contributors (@labkit-tripleo)
"""

EXAMPLES = r"""
- name: Define the undercloud and every overcloud node
  labkit.tripleo.libvirt_domains:
    lab: "{{ lab_model.name }}"
    network: "{{ lab_model.network.name }}"
    domain_type: qemu
    vms: "{{ lab_model.vms }}"

- name: Remove every domain of the lab
  labkit.tripleo.libvirt_domains:
    lab: mylab
    state: absent
"""

RETURN = r"""
domains:
  description:
    - One entry per VM (state=present), after the domains removed by I(prune); or one per removed
      domain (state=absent).
    - Each VM's NICs are read back from libvirt once it is defined, with the portgroup the lab
      gave each MAC (as M(labkit.tripleo.libvirt_domains_info) reads them), so later steps of
      the same run can take MACs and power states from here instead of asking libvirt again.
  returned: always
  type: list
  elements: dict
  sample:
    - name: control-1
      action: created
      drift: []
      active: false
      console_log: /var/log/libvirt/qemu/control-1-console.log
      nics:
        - {mac: "52:54:1a:2b:01:00", portgroup: access-100, network: ovs-network-1, target: null}
missing:
  description:
    - The listed VMs with no domain after the call, as M(labkit.tripleo.libvirt_domains_info)
      names them with I(missing_ok) - in check mode the VMs it would define; otherwise none.
  returned: when state=present
  type: list
  elements: str
  sample: []
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.labkit.tripleo.plugins.module_utils import libvirt_conn, ownership
from ansible_collections.labkit.tripleo.plugins.module_utils.console_log import remove_console_logs
from ansible_collections.labkit.tripleo.plugins.module_utils.libvirt_domain_xml import (
    domain_drift, domain_spec, domain_xml, parse_domain, restore_portgroups)
from ansible_collections.labkit.tripleo.plugins.module_utils.libvirt_xml import with_mark


def read_nics(dom, spec, network):
    """The NICs libvirt has (the spec's when check mode defined nothing), each with its portgroup."""
    return restore_portgroups(libvirt_conn.nics(dom, spec["nics"]), spec["nics"], network)


def ensure_present(module, conn, params):
    lab, network, domain_type = params["lab"], params["network"], params["domain_type"]
    offloads = params["nic_offloads"]
    instance = params["instance"] or None
    existing, foreign = libvirt_conn.find_domains(conn, [vm["name"] for vm in params["vms"]], params)
    if foreign:
        conflicts = ["%s (owner: %s)" % (name, ownership.describe(*found)) for name, found in foreign]
        module.fail_json(msg="these libvirt domains exist but were not created by lab %r, so nothing was "
                             "changed: %s. %s." % (lab, ", ".join(conflicts), ownership.remedy(
                                 [found[0] for _name, found in foreign], lab,
                                 "Rename the VMs in the lab description or remove those domains")))

    results, specs = [], {}
    if params["prune"]:
        wanted = set(vm["name"] for vm in params["vms"])
        for dom in conn.listAllDomains(0):
            if dom.name() not in wanted and libvirt_conn.is_labs(dom, params):
                results.append(remove_domain(module, dom))
    for vm in params["vms"]:
        spec = specs[vm["name"]] = domain_spec(vm, domain_type, network, offloads)
        dom = existing.get(vm["name"])
        if dom is None:
            if not module.check_mode:
                dom = conn.defineXML(domain_xml(lab, vm, domain_type, network, nic_offloads=offloads,
                                                instance=instance))
            results.append({"name": vm["name"], "action": "created", "drift": [], "active": False,
                            "console_log": spec["console_log"], "nics": read_nics(dom, spec, network)})
            continue
        inactive_xml = libvirt_conn.inactive_xml(dom)
        current = parse_domain(inactive_xml)
        drift = domain_drift(current, spec)
        active = bool(dom.isActive())
        if drift:
            if not module.check_mode:
                dom = conn.defineXML(domain_xml(lab, vm, domain_type, network, uuid=current["uuid"],
                                                nic_offloads=offloads,
                                                instance=instance or current["owner_instance"]))
            if active:
                module.warn("domain %s is running; its new definition (%s) applies at its next boot"
                            % (vm["name"], "; ".join(drift)))
        elif ownership.verdict((current["owner"], current["owner_instance"]), params) == ownership.TO_STAMP:
            # Only the mark changes: nothing a running domain would have to reboot for.
            drift = ["ownership mark: instance %s" % params["instance"]]
            if not module.check_mode:
                dom = conn.defineXML(with_mark(inactive_xml, lab, params["instance"]))
        results.append({"name": vm["name"], "action": "updated" if drift else "unchanged", "drift": drift,
                        "active": active, "console_log": spec["console_log"],
                        "nics": read_nics(dom, spec, network)})
    for result in results:
        if result["name"] in params["running"] and not result["active"]:
            if not module.check_mode:
                dom = conn.lookupByName(result["name"])
                dom.create()
                result["nics"] = read_nics(dom, specs[result["name"]], network)
            result["active"] = True
            result["action"] = "started" if result["action"] == "unchanged" else result["action"] + ", started"
    return results


def remove_domain(module, dom):
    """Power off and undefine one of the lab's domains, with its console logs."""
    console_log = parse_domain(libvirt_conn.inactive_xml(dom))["console_log"]
    if not module.check_mode:
        libvirt_conn.undefine(dom)
        if console_log:
            remove_console_logs(console_log)
    return {"name": dom.name(), "action": "removed", "drift": [], "active": False,
            "console_log": console_log, "nics": []}


def ensure_absent(module, conn, params):
    results = [remove_domain(module, dom) for dom in libvirt_conn.lab_domains(conn, params)]
    return sorted(results, key=lambda r: r["name"])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            ownership.OWNER_ARGS,
            uri=libvirt_conn.URI_OPTION,
            network=dict(type="str"),
            domain_type=dict(type="str", choices=["kvm", "qemu"], default="kvm"),
            vms=dict(type="list", elements="dict", default=[]),
            running=dict(type="list", elements="str", default=[]),
            nic_offloads=dict(type="bool", default=True),
            prune=dict(type="bool", default=False),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_if=[("state", "present", ("network",))],
        supports_check_mode=True,
    )
    conn = libvirt_conn.connect(module, module.params["uri"])
    result = {}
    try:
        if module.params["state"] == "present":
            domains = ensure_present(module, conn, module.params)
            result["missing"] = [d["name"] for d in domains if d["action"].startswith("created")] \
                if module.check_mode else []
            changed = any(d["action"] != "unchanged" for d in domains)
        else:
            domains = ensure_absent(module, conn, module.params)
            changed = bool(domains)
    except libvirt_conn.libvirt.libvirtError as exc:
        module.fail_json(msg="libvirt error: %s" % exc)
    module.exit_json(changed=changed, domains=domains, **result)


if __name__ == "__main__":
    main()
