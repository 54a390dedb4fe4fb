# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Where the lab's Redfish emulator answers and for which systems; the argument spec is
    # redfish.SERVICE_ARGS (the password differs by module and is documented by each).
    DOCUMENTATION = r"""
options:
  systems:
    description: Names of the libvirt domains the emulator serves (the lab's overcloud nodes).
    type: list
    elements: str
    default: []
  address:
    description: Address the emulator listens on.
    type: str
    default: 127.0.0.1
  port:
    description: TCP port the emulator listens on.
    type: int
    default: 8000
  username:
    description: Redfish user name.
    type: str
    default: admin
"""
