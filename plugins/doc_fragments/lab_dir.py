# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The options of every module that works in the lab's directory on the virthost
    # (its record and its lock); their argument spec is lab_record.LAB_DIR_ARGS.
    DOCUMENTATION = r"""
options:
  lab:
    description: The lab's name (its directory is I(dir)/<lab>).
    type: str
    required: true
  dir:
    description: Directory holding one subdirectory per lab (the record C(state.json), the lock C(lock.json)).
    type: path
    default: /var/lib/labkit
"""
