# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""labkit.tripleo.controller_file: the lab's artifacts written in the controller's own process (see
plugins/modules/controller_file.py for what it does and why it is not ansible.builtin.copy)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.labkit.tripleo.plugins.module_utils import file_content

ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True},
    "content": {"type": "str"},
    "mode": {"type": "str"},
    "state": {"type": "str", "choices": ["file", "directory", "absent"], "default": "file"},
}


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    # Nothing runs on the task's host: no connection is opened to it.
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        _spec, args = self.validate_argument_spec(
            argument_spec=ARGUMENT_SPEC,
            required_if=[("state", "file", ("content", "mode")), ("state", "directory", ("mode",))])
        try:
            change = file_content.apply(args["path"], args["state"], args.get("content"), args.get("mode"),
                                        check=self._task.check_mode)
        except (OSError, ValueError) as exc:
            raise AnsibleActionFail("%s: %s" % (args["path"], exc))
        result.update(changed=change.action != "unchanged", path=change.path, action=change.action)
        if self._task.diff and change.diff is not None:
            result["diff"] = change.diff
        return result
