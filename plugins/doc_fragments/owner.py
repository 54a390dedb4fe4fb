# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The options of every module that writes or reads the lab's ownership marks; their
    # argument spec is ownership.OWNER_ARGS, the rule that reads them ownership.judge.
    DOCUMENTATION = r"""
options:
  lab:
    description:
      - The lab's name, written into every mark the module makes; the module manages and removes
        only objects that carry it.
    type: str
    required: true
  instance:
    description:
      - The lab's instance id (from the lab record), written into every mark beside the lab's name.
      - An object marked with the lab's name and another instance belongs to another lab of the same
        name and is refused like any foreign object; one marked with the name only (made before marks
        held an instance) is the lab's and gets the instance.
      - Empty, the name alone decides (a check run before the lab has a record).
    type: str
    default: ""
  adopt:
    description:
      - Take over objects marked with the lab's name and another instance (and mark them with
        I(instance)), as C(-e lab_adopt=true) does for the lab record.
    type: bool
    default: false
"""
