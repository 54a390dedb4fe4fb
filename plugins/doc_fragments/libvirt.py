# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The option of every module that talks to libvirt; its argument spec is libvirt_conn.URI_ARGS.
    DOCUMENTATION = r"""
options:
  uri:
    description: libvirt connection URI.
    type: str
    default: qemu:///system
"""
