# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The openstack commands of the undercloud phase, built in one place.

They run only on a CentOS/RHEL undercloud, so the tests parse these exact argv lists with the
releases' own python-tripleoclient and python-openstackclient parsers
(tests/tripleo_checks/check_commands.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# The subnet `openstack undercloud install` creates for the provisioning network.
CTLPLANE_SUBNET = "ctlplane-subnet"


def commands(undercloud, images_dir, release_info, ceph, openstack="openstack"):
    """argv lists by purpose.

    ``undercloud``: the lab's tripleo.undercloud settings; ``release_info``: the release's
    row of tripleo_release; ``ceph``: whether the lab has Ceph nodes; ``openstack``: the
    client command (lab.tripleo.openstack_command).
    """
    return {
        # The distro is given, never detected: tripleo-repos falls back to CentOS 7 repositories
        # on a platform it does not know (PyPI's 0.1.0 knows CentOS 7 and 8 only).
        "repos": (["tripleo-repos", "-b", release_info["tripleo_repos_branch"], "-d", "centos%d" % release_info["el"],
                   "current"] + (["ceph"] if ceph else [])),
        "container_prepare": [openstack, "tripleo", "container", "image", "prepare", "default",
                              "--local-push-destination", "--output-env-file", undercloud["container_images_file"]],
        "install": [openstack, "undercloud", "install"],
        "image_upload": [openstack, "overcloud", "image", "upload", "--image-path", images_dir],
        "dns_show": [openstack, "subnet", "show", CTLPLANE_SUBNET, "-f", "json", "-c", "dns_nameservers"],
        # --no-dns-nameservers first, so the subnet ends with exactly the lab's servers.
        "dns_set": ([openstack, "subnet", "set", "--no-dns-nameservers"]
                    + ["--dns-nameserver=%s" % server for server in undercloud["undercloud_nameservers"]]
                    + [CTLPLANE_SUBNET]),
    }
