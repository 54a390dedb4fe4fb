#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: qcow2_disks
short_description: The qcow2 disk files of a lab's VMs, in one call
version_added: "0.1.0"
description:
  - Creates every missing disk with C(qemu-img create -f qcow2 -o preallocation=metadata),
    owned by the qemu user and mode 0600, and marks it as the lab's own with the extended
    attributes C(user.labkit.lab) and C(user.labkit.instance).
  - A disk with C(backing_image) becomes a qcow2 overlay of that image (the undercloud from a
    cloud image); qemu allows no preallocation with a backing file, so it has none.
  - An existing disk is never recreated, resized or overwritten. One that carries this lab's
    mark is left as it is (with a warning when its size differs from the description); one
    without the mark, or with another instance's, belongs to someone else, and the module fails
    before creating anything.
  - A disk is created under a hidden temporary name (C(.<name>.labkit-tmp)), marked, given its
    owner and mode, and only then renamed into place, so a run killed half-way never leaves an
    unmarked disk that later runs would refuse; the next run removes such a temporary file.
  - Downloads each of I(downloads) that is missing (the undercloud's cloud image) the same way,
    under the temporary name, marked, then renamed into place, so only a complete download
    carries the lab's mark. An existing file there is judged like a disk (the lab's is kept, anyone
    else's refused); nothing is downloaded again.
  - With I(state=absent), removes every file in I(images_dir) (and every listed path) that
    carries this lab's mark, and the lab's temporary files, except the paths in I(keep); with
    I(keep) it removes what a node no longer described left behind.
  - With I(state=present), I(images_dir) and I(keep), it also reports as C(leftovers) what
    I(state=absent) with the same I(keep) would remove, and removes nothing of it; so the
    removal, which must wait until the domains using those disks are gone, is asked for only
    when there is something to remove.
options:
  disks:
    description: Disks to create, each with C(path), C(size_gb) and optionally C(backing_image).
    type: list
    elements: dict
    default: []
  downloads:
    description: Files to download before the disks are created, each with C(url) and C(path).
    type: list
    elements: dict
    default: []
  owner:
    description: User that owns the created files (the user qemu runs as).
    type: str
  group:
    description: Group of the created files.
    type: str
  images_dir:
    description: Directory searched for the lab's disks with I(state=absent), and for the
      C(leftovers) with I(state=present).
    type: path
  keep:
    description: Paths that stay (the disks, seed and image the description still has), with
      I(state=absent); with I(state=present), what is not a leftover.
    type: list
    elements: path
    default: []
  qemu_img:
    description: The qemu-img command.
    type: path
    default: qemu-img
  state:
    description: C(present) creates missing disks; C(absent) removes the lab's own.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - labkit.tripleo.attributes
  - labkit.tripleo.owner
notes:
  - The file system must support user extended attributes (ext4, xfs and btrfs do).
author:
  - labkit.tripleo contributors (@labkit-tripleo)
"""

EXAMPLES = r"""
- name: Disks of every VM
  labkit.tripleo.qcow2_disks:
    lab: mylab
    owner: libvirt-qemu
    group: kvm
    disks:
      - {path: /var/lib/libvirt/images/mylab-control-1-vda.qcow2, size_gb: 60}

- name: Disks of every VM, and what the lab left of nodes it no longer has
  labkit.tripleo.qcow2_disks:
    lab: mylab
    disks:
      - {path: /var/lib/libvirt/images/mylab-control-1-vda.qcow2, size_gb: 60}
    images_dir: /var/lib/libvirt/images
    keep: [/var/lib/libvirt/images/mylab-control-1-vda.qcow2]
  register: disks

- name: Remove the lab's disks
  labkit.tripleo.qcow2_disks:
    lab: mylab
    images_dir: /var/lib/libvirt/images
    state: absent
"""

RETURN = r"""
created:
  description: Paths created (or, in check mode, that would be created).
  returned: always
  type: list
  elements: str
existing:
  description: Paths that already existed with this lab's mark and were left alone.
  returned: always
  type: list
  elements: str
marked:
  description: Existing disks of this lab that were given the lab's instance in their mark.
  returned: always
  type: list
  elements: str
removed:
  description: Paths removed with I(state=absent).
  returned: always
  type: list
  elements: str
leftovers:
  description: With I(state=present) and I(images_dir), the lab's files there that I(keep) does
    not list (the disks of nodes no longer described, a killed run's temporary files), left in
    place; empty otherwise.
  returned: always
  type: list
  elements: str
  sample: [/var/lib/libvirt/images/mylab-compute-2-vda.qcow2]
"""

import os
import shutil
import struct

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import fetch_url
from ansible_collections.labkit.tripleo.plugins.module_utils import file_owner, ownership

GIB = 1024 ** 3


def qcow2_virtual_size(path):
    """Virtual size from the qcow2 header (bytes 24-31), or None if not qcow2."""
    with open(path, "rb") as handle:
        header = handle.read(32)
    if len(header) < 32 or header[:4] != b"QFI\xfb":
        return None
    return struct.unpack(">Q", header[24:32])[0]


def ensure_present(module, params):
    conflicts, created, existing, marked = [], [], [], []
    found_labs = set()
    for disk in params["downloads"] + params["disks"]:
        path = disk["path"]
        if os.path.lexists(path):
            found = file_owner.found_mark(path)
            verdict = ownership.judge(found[0], found[1], params["lab"], params["instance"], params["adopt"])
            if verdict == ownership.FOREIGN:
                conflicts.append("%s (owner: %s)" % (path, ownership.describe(*found)))
                found_labs.add(found[0])
            elif verdict == ownership.TO_STAMP:
                marked.append(path)
    if conflicts:
        module.fail_json(msg="these disk files exist but were not created by lab %r, so nothing was created: "
                             "%s. %s." % (params["lab"], ", ".join(conflicts),
                                          ownership.remedy(found_labs, params["lab"], "Move them away or rename the lab")))
    if not module.check_mode:
        for path in marked:
            file_owner.mark(path, params["lab"], params["instance"])
    for download in params["downloads"]:
        if os.path.lexists(download["path"]):
            existing.append(download["path"])
            continue
        created.append(download["path"])
        if not module.check_mode:
            fetch(module, params, download)
    for disk in params["disks"]:
        path, size_gb = disk["path"], int(disk["size_gb"])
        if os.path.lexists(path):
            existing.append(path)
            size = qcow2_virtual_size(path)
            if size is not None and size != size_gb * GIB:
                module.warn("disk %s is %.1f GiB, the description says %d GiB; existing disks are never "
                            "resized or recreated" % (path, float(size) / GIB, size_gb))
            continue
        created.append(path)
        if module.check_mode:
            continue
        parent = os.path.dirname(path)
        if not os.path.isdir(parent):
            module.fail_json(msg="directory %s for disk %s does not exist" % (parent, path))
        create(module, params, disk)
    return created, existing, marked


def fetch(module, params, download):
    """Download under the temporary name, mark, owner and mode 0644, then rename into place."""
    path = download["path"]
    file_owner.remove_temporary(path)
    staged = file_owner.temporary_path(path)
    response, info = fetch_url(module, download["url"], timeout=60)
    if response is None or info.get("status") != 200:
        module.fail_json(msg="cannot download %s: %s" % (download["url"], info.get("msg")))
    try:
        with open(staged, "wb") as handle:
            shutil.copyfileobj(response, handle, 1024 * 1024)
        file_owner.mark(staged, params["lab"], params["instance"])
    except (IOError, OSError) as exc:
        file_owner.remove_temporary(path)
        module.fail_json(msg="cannot store %s as %s: %s" % (download["url"], path, exc))
    os.chmod(staged, 0o644)
    module.set_owner_if_different(staged, params["owner"], False)
    module.set_group_if_different(staged, params["group"], False)
    os.rename(staged, path)


def create(module, params, disk):
    """qemu-img create under a temporary name, mark, owner and mode, then rename into place."""
    path, size_gb = disk["path"], int(disk["size_gb"])
    file_owner.remove_temporary(path)
    staged = file_owner.temporary_path(path)
    if disk.get("backing_image"):
        backing = disk["backing_image"]
        if not os.path.isfile(backing):
            module.fail_json(msg="backing image %s of disk %s does not exist" % (backing, path))
        backing_format = "qcow2" if qcow2_virtual_size(backing) is not None else "raw"
        command = [params["qemu_img"], "create", "-q", "-f", "qcow2", "-F", backing_format, "-b", backing,
                   staged, "%dG" % size_gb]
    else:
        command = [params["qemu_img"], "create", "-q", "-f", "qcow2", "-o", "preallocation=metadata",
                   staged, "%dG" % size_gb]
    rc, out, err = module.run_command(command)
    if rc != 0:
        file_owner.remove_temporary(path)
        module.fail_json(msg="qemu-img could not create %s: %s" % (path, (err or out).strip()), rc=rc)
    try:
        file_owner.mark(staged, params["lab"], params["instance"])
    except OSError as exc:
        file_owner.remove_temporary(path)
        module.fail_json(msg="cannot record ownership on %s (%s); the images directory needs a file "
                             "system with user extended attributes" % (path, exc))
    os.chmod(staged, 0o600)
    module.set_owner_if_different(staged, params["owner"], False)
    module.set_group_if_different(staged, params["group"], False)
    os.rename(staged, path)


def leftovers(params, listed=()):
    """The lab's files that state=absent removes: in images_dir and among the ``listed`` disks,
    those carrying this lab's mark and the lab's temporary files, except the paths in keep."""
    candidates = set(d["path"] for d in listed)
    temporaries = set()
    if params["images_dir"] and os.path.isdir(params["images_dir"]):
        for entry in os.listdir(params["images_dir"]):
            candidates.add(os.path.join(params["images_dir"], entry))
            if file_owner.is_lab_temporary(entry, params["lab"]):
                temporaries.add(os.path.join(params["images_dir"], entry))
    keep = set(os.path.normpath(p) for p in params["keep"])
    found = []
    for path in sorted(candidates):
        if os.path.normpath(path) in keep or not os.path.isfile(path) or os.path.islink(path):
            continue
        if path not in temporaries and not ownership.is_ours(*(file_owner.found_mark(path) + (
                params["lab"], params["instance"], params["adopt"]))):
            continue
        found.append(path)
    return found


def ensure_absent(module, params):
    removed = leftovers(params, params["disks"])
    if not module.check_mode:
        for path in removed:
            os.unlink(path)
    return removed


def main():
    module = AnsibleModule(
        argument_spec=dict(
            ownership.OWNER_ARGS,
            disks=dict(type="list", elements="dict", default=[]),
            downloads=dict(type="list", elements="dict", default=[]),
            owner=dict(type="str"),
            group=dict(type="str"),
            images_dir=dict(type="path"),
            keep=dict(type="list", elements="path", default=[]),
            qemu_img=dict(type="path", default="qemu-img"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        supports_check_mode=True,
    )
    for index, disk in enumerate(module.params["disks"]):
        if not disk.get("path") or not os.path.isabs(disk["path"]) or not isinstance(disk.get("size_gb"), int):
            module.fail_json(msg="disks[%d] needs an absolute 'path' and an integer 'size_gb'" % index)
    for index, download in enumerate(module.params["downloads"]):
        if not download.get("path") or not os.path.isabs(download["path"]) \
                or not str(download.get("url", "")).startswith(("http://", "https://")):
            module.fail_json(msg="downloads[%d] needs an absolute 'path' and an http(s) 'url'" % index)
    if module.params["state"] == "present":
        created, existing, marked = ensure_present(module, module.params)
        module.exit_json(changed=bool(created or marked), created=created, existing=existing, marked=marked,
                         removed=[], leftovers=leftovers(module.params))
    removed = ensure_absent(module, module.params)
    module.exit_json(changed=bool(removed), created=[], existing=[], marked=[], removed=removed, leftovers=[])


if __name__ == "__main__":
    main()
