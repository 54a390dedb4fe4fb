# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: controller_cwd
short_description: The directory ansible-playbook was started from, on the controller
version_added: "0.2.0"
description:
  - Returns the controller process's current directory, where the lab's C(artifacts/) go by
    default.
  - Written for this collection because C(playbook_dir) is inside an installed collection when
    its playbooks run from there, and the C(pipe) lookup runs its command in the playbook's
    directory, not the current one.
options: {}
"""

EXAMPLES = r"""
lab_artifacts_root: "{{ lookup('labkit.tripleo.controller_cwd') }}/artifacts"
"""

RETURN = r"""
_raw:
  description: The absolute path of the current directory.
  type: list
  elements: path
"""

import os

from ansible.plugins.lookup import LookupBase


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        return [os.getcwd()]
