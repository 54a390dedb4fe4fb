# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Opening libvirt from a module, with one clear error when the binding is missing."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import traceback

try:
    import libvirt
    LIBVIRT_IMPORT_ERROR = None
except ImportError:
    libvirt = None
    LIBVIRT_IMPORT_ERROR = traceback.format_exc()


def connect(module, uri):
    """Open ``uri`` read-write or fail the module with the reason."""
    if libvirt is None:
        module.fail_json(
            msg="the libvirt Python binding is missing on the virthost "
                "(python3-libvirt, or libvirt-python in the interpreter's environment)",
            exception=LIBVIRT_IMPORT_ERROR)
    try:
        return libvirt.open(uri)
    except libvirt.libvirtError as exc:
        module.fail_json(msg="cannot connect to libvirt at %s: %s" % (uri, exc))


def lookup(getter, name):
    """A libvirt object by name, or None when it does not exist."""
    try:
        return getter(name)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() in (libvirt.VIR_ERR_NO_NETWORK, libvirt.VIR_ERR_NO_DOMAIN):
            return None
        raise
