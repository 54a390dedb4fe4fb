#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: nocloud_seed
short_description: A cloud-init NoCloud seed ISO (volume C(cidata))
version_added: "0.1.0"
description:
  - Writes C(user-data), C(meta-data) and C(network-config) into an ISO 9660 image with the
    volume label C(cidata), which cloud-init reads on first boot, as C(cloud-localds) would.
  - Rewrites the ISO only when its content changes (a hash is kept in the extended attribute
    C(user.labkit.seed)), atomically, and marks it as the lab's own (C(user.labkit.lab)) so the
    lab's teardown removes it with the disks.
  - Refuses to overwrite a file at I(path) that is not the lab's.
  - Written for this collection because no maintained module builds NoCloud seeds.
options:
  path:
    description: Where the ISO goes.
    type: path
    required: true
  user_data:
    description: The cloud-config (written after a C(#cloud-config) line).
    type: dict
    required: true
  meta_data:
    description: meta-data (instance-id, local-hostname).
    type: dict
    required: true
  network_config:
    description: Network configuration, version 2.
    type: dict
  owner:
    description: Owner of the ISO (the qemu user).
    type: str
  group:
    description: Group of the ISO.
    type: str
extends_documentation_fragment:
  - labkit.tripleo.attributes
  - labkit.tripleo.owner
requirements:
  - genisoimage, mkisofs or xorriso on the virthost
author:
  - labkit.tripleo contributors (@labkit-tripleo)
"""

EXAMPLES = r"""
- name: Seed of the undercloud
  labkit.tripleo.nocloud_seed:
    lab: mylab
    path: /var/lib/libvirt/images/mylab-undercloud-seed.iso
    meta_data: {instance-id: mylab-undercloud, local-hostname: undercloud}
    user_data:
      users: [{name: stack, ssh_authorized_keys: ["ssh-ed25519 AAAA..."], sudo: "ALL=(ALL) NOPASSWD:ALL"}]
"""

RETURN = r"""
sha256:
  description: Hash of the seed's content.
  returned: always
  type: str
"""

import json
import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.labkit.tripleo.plugins.module_utils import file_owner, ownership

SEED_XATTR = "user.labkit.seed"


def documents(params):
    """File name -> content. JSON is valid YAML, so no YAML library is needed on the host."""
    files = {
        "user-data": "#cloud-config\n" + json.dumps(params["user_data"], indent=2, sort_keys=True) + "\n",
        "meta-data": json.dumps(params["meta_data"], indent=2, sort_keys=True) + "\n",
    }
    if params["network_config"]:
        files["network-config"] = json.dumps(params["network_config"], indent=2, sort_keys=True) + "\n"
    return files


def iso_command(module):
    for tool in ("genisoimage", "mkisofs"):
        path = module.get_bin_path(tool)
        if path:
            return [path]
    xorriso = module.get_bin_path("xorriso")
    if xorriso:
        return [xorriso, "-as", "mkisofs"]
    module.fail_json(msg="no ISO tool on the virthost: install genisoimage (Debian) or xorriso (EL)")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            ownership.OWNER_ARGS,
            path=dict(type="path", required=True),
            user_data=dict(type="dict", required=True),
            meta_data=dict(type="dict", required=True),
            network_config=dict(type="dict"),
            owner=dict(type="str"),
            group=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    files = documents(p)
    wanted = file_owner.contents_digest(files)
    if os.path.lexists(p["path"]):
        found = file_owner.found_mark(p["path"])
        verdict = ownership.judge(found[0], found[1], p["lab"], p["instance"], p["adopt"])
        if verdict == ownership.FOREIGN:
            remedy = ownership.remedy([found[0]], p["lab"])
            module.fail_json(msg="%s exists but was not created by lab %r (owner: %s); refusing to overwrite it%s"
                             % (p["path"], p["lab"], ownership.describe(*found), "; " + remedy if remedy else ""))
        if file_owner.read(p["path"], SEED_XATTR) == wanted:
            if verdict == ownership.TO_STAMP and not module.check_mode:
                file_owner.mark(p["path"], p["lab"], p["instance"])
            module.exit_json(changed=verdict == ownership.TO_STAMP, sha256=wanted)
    if module.check_mode:
        module.exit_json(changed=True, sha256=wanted)
    workdir = tempfile.mkdtemp(prefix="labkit-seed-")
    try:
        for name, content in files.items():
            with open(os.path.join(workdir, name), "w") as handle:
                handle.write(content)
        file_owner.remove_temporary(p["path"])
        staged = file_owner.temporary_path(p["path"])
        module.run_command(iso_command(module) + ["-quiet", "-output", staged, "-volid", "cidata", "-joliet",
                                                  "-rock"] + [os.path.join(workdir, n) for n in sorted(files)],
                           check_rc=True)
        file_owner.mark(staged, p["lab"], p["instance"])
        os.setxattr(staged, SEED_XATTR, wanted.encode("utf-8"))
        os.chmod(staged, 0o600)
        module.set_owner_if_different(staged, p["owner"], False)
        module.set_group_if_different(staged, p["group"], False)
        os.rename(staged, p["path"])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    module.exit_json(changed=True, sha256=wanted)


if __name__ == "__main__":
    main()
