# -*- coding: utf-8 -*-
"""Runs a module's main() with its real argument checks, for the unit tests: exit_json and
fail_json raise instead of printing and exiting, warnings are kept, and the commands the module
runs are answered by a fake of the external tool (a test's own FakeHost, FakeIronic...)."""
import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args


class FakeExit(Exception):
    pass


class FakeFail(Exception):
    pass


def run_main(monkeypatch, module, args, check_mode=False, commands=None, bin_dir=None):
    """("exit" or "fail", the result, the warnings) of ``module.main()`` run with ``args``.

    ``commands(argv)`` answers every run_command (check_rc honoured, as AnsibleModule does);
    ``bin_dir`` is where get_bin_path finds every program.
    """
    warnings = []

    class HarnessedModule(AnsibleModule):
        def run_command(self, argv, check_rc=False, **kwargs):
            if commands is None:
                return super(HarnessedModule, self).run_command(argv, check_rc=check_rc, **kwargs)
            rc, out, err = commands(argv)
            if check_rc and rc != 0:
                self.fail_json(msg=err, cmd=argv, rc=rc)
            return rc, out, err

        def get_bin_path(self, arg, required=False, opt_dirs=None):
            if bin_dir is None:
                return super(HarnessedModule, self).get_bin_path(arg, required=required, opt_dirs=opt_dirs)
            return "%s/%s" % (bin_dir, arg)

        def warn(self, warning):
            warnings.append(warning)

        def exit_json(self, **kwargs):
            raise FakeExit(kwargs)

        def fail_json(self, **kwargs):
            raise FakeFail(kwargs)

        def _log_invocation(self):
            pass

    monkeypatch.setattr(module, "AnsibleModule", HarnessedModule)
    with patch_module_args(dict(args, _ansible_check_mode=check_mode)):
        with pytest.raises((FakeExit, FakeFail)) as outcome:
            module.main()
    return ("exit" if outcome.type is FakeExit else "fail"), outcome.value.args[0], warnings
