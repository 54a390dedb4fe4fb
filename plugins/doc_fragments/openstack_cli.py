# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The options of every module that runs the undercloud's openstack CLI; their argument
    # spec is baremetal_cli.CLI_ARGS.
    DOCUMENTATION = r"""
options:
  openstack:
    description: The openstack command on the undercloud (C(lab.tripleo.openstack_command)).
    type: path
    default: openstack
  rc_file:
    description: Shell file that sets the C(OS_*) environment (the undercloud's C(stackrc)).
    type: path
"""
