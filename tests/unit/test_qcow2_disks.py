# -*- coding: utf-8 -*-
"""qcow2_disks: reading a disk's virtual size from its header."""
import errno
import os
import struct

import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import file_owner
from ansible_collections.labkit.tripleo.plugins.modules import qcow2_disks


GIB = 1024 ** 3


def qcow2_header(size, version=3):
    # magic, version, backing_file_offset(8), backing_file_size(4), cluster_bits(4), size(8)
    return b"QFI\xfb" + struct.pack(">IQII", version, 0, 0, 16) + struct.pack(">Q", size)


def test_qcow2_header_layout():
    header = qcow2_header(60 * GIB)
    assert len(header) == 32 and header[24:32] == struct.pack(">Q", 60 * GIB)


@pytest.mark.parametrize("size", [60 * GIB, 1, 2 ** 63])
def test_qcow2_virtual_size(tmp_path, size):
    path = tmp_path / "disk.qcow2"
    path.write_bytes(qcow2_header(size) + b"\0" * 4096)
    assert qcow2_disks.qcow2_virtual_size(str(path)) == size


@pytest.mark.parametrize("content", [
    b"\0" * 4096,                                   # raw image
    b"QFI\xfa" + b"\0" * 60,                         # wrong magic
    qcow2_header(10 * GIB)[:31],                     # truncated header
    b"",
])
def test_qcow2_virtual_size_not_qcow2(tmp_path, content):
    path = tmp_path / "disk.img"
    path.write_bytes(content)
    assert qcow2_disks.qcow2_virtual_size(str(path)) is None


def _setxattr_or_skip(path, value):
    try:
        os.setxattr(str(path), file_owner.OWNER_XATTR, value)
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, errno.EPERM, getattr(errno, "EOPNOTSUPP", errno.ENOTSUP)):
            pytest.skip("file system of %s lacks user extended attributes" % path)
        raise
