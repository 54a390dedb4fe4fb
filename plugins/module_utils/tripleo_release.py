# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each TripleO release expects, in one place.

Every release-dependent choice (instackenv.json format, undercloud.conf layout,
deploy workflow) reads this table instead of testing release names where the
choice is made.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# flavors: Queens and Train schedule nodes onto flavors carrying capabilities:profile;
# from Wallaby metalsmith matches the profile capability directly.
# overcloud_ssh_user: the user `overcloud node provision` puts on the nodes by default
# (heat-admin up to Wallaby, tripleo-admin in Zed; read from each release's own parser).
# assume_yes: the release's node provision asks before overwriting its output file
# unless given --yes (Zed, tripleoclient 20); Wallaby's (16.5) has no such option.
# containerized_undercloud: from Train the undercloud runs in containers and needs
# container_images_file.
RELEASES = {
    "queens": {
        "number": 13,
        # Classic drivers were still the documented way; hardware types came in Queens
        # but pxe_ipmitool is what the Queens docs and the reference write-up use.
        "pm_type_ipmi": "pxe_ipmitool",
        # tripleo-common < 18 reads "mac": [..]; 18 rejects it for "ports".
        "instackenv_ports": False,
        # Subnet keys moved to per-subnet sections in Stein.
        "subnet_sections": False,
        # Queens: --control-scale / --*-flavor flags. Train: an environment file.
        # Wallaby: nodes provisioned first (openstack overcloud node provision).
        "deploy_style": "flags",
        "libvirt_type_flag": True,
        "el": 7,
        "python": "python2",
        "tripleo_repos_branch": "queens",
        "overcloud_ssh_user": "heat-admin",
        "tripleoclient_package": "python-tripleoclient",
        "images_distro": "centos7",
        "assume_yes": False,
        "flavors": True,
        "containerized_undercloud": False,
    },
    "train": {
        "number": 16,
        "pm_type_ipmi": "ipmi",
        "instackenv_ports": False,
        "subnet_sections": True,
        "deploy_style": "environment",
        "libvirt_type_flag": False,
        "el": 8,
        "python": "python3",
        "tripleo_repos_branch": "train",
        "overcloud_ssh_user": "heat-admin",
        "tripleoclient_package": "python3-tripleoclient",
        "images_distro": "centos8",
        "assume_yes": False,
        "flavors": True,
        "containerized_undercloud": True,
    },
    "wallaby": {
        "number": 17,
        "pm_type_ipmi": "ipmi",
        "instackenv_ports": True,
        "subnet_sections": True,
        "deploy_style": "provision",
        "libvirt_type_flag": False,
        "el": 9,
        "python": "python3",
        "tripleo_repos_branch": "wallaby",
        "overcloud_ssh_user": "heat-admin",
        "tripleoclient_package": "python3-tripleoclient",
        "images_distro": "centos9",
        "assume_yes": False,
        "flavors": False,
        "containerized_undercloud": True,
    },
    "zed": {
        "number": 18,
        "pm_type_ipmi": "ipmi",
        "instackenv_ports": True,
        "subnet_sections": True,
        "deploy_style": "provision",
        "libvirt_type_flag": False,
        "el": 9,
        "python": "python3",
        "tripleo_repos_branch": "zed",
        "overcloud_ssh_user": "tripleo-admin",
        "tripleoclient_package": "python3-tripleoclient",
        "images_distro": "centos9",
        "assume_yes": True,
        "flavors": False,
        "containerized_undercloud": True,
    },
}

# Overcloud roles of the profiles a lab can use, with the names each release's
# templates give them.
PROFILE_ROLES = {
    "control": {"role": "Controller", "scale_flag": "--control-scale", "flavor_flag": "--control-flavor",
                "count_param": "ControllerCount", "flavor_param": "OvercloudControlFlavor"},
    "compute": {"role": "Compute", "scale_flag": "--compute-scale", "flavor_flag": "--compute-flavor",
                "count_param": "ComputeCount", "flavor_param": "OvercloudComputeFlavor"},
    "ceph-storage": {"role": "CephStorage", "scale_flag": "--ceph-storage-scale",
                     "flavor_flag": "--ceph-storage-flavor", "count_param": "CephStorageCount",
                     "flavor_param": "OvercloudCephStorageFlavor"},
    "block-storage": {"role": "BlockStorage", "scale_flag": "--block-storage-scale",
                      "flavor_flag": "--block-storage-flavor", "count_param": "BlockStorageCount",
                      "flavor_param": "OvercloudBlockStorageFlavor"},
    "swift-storage": {"role": "ObjectStorage", "scale_flag": "--swift-storage-scale",
                      "flavor_flag": "--swift-storage-flavor", "count_param": "ObjectStorageCount",
                      "flavor_param": "OvercloudSwiftStorageFlavor"},
}


def release(name):
    try:
        return RELEASES[name]
    except KeyError:
        raise ValueError("unknown TripleO release %r (known: %s)" % (name, ", ".join(sorted(RELEASES))))
