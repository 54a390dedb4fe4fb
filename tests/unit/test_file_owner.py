# -*- coding: utf-8 -*-
"""file_owner: the ownership mark of the lab's files (extended attributes)."""

import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import file_owner

from test_qcow2_disks import GIB, _setxattr_or_skip, qcow2_header


def test_disk_owner(tmp_path):
    path = tmp_path / "mylab-control-1-vda.qcow2"
    path.write_bytes(qcow2_header(GIB))
    _setxattr_or_skip(path, b"mylab")
    assert file_owner.owner(str(path)) == "mylab"


def test_disk_owner_unmarked_file(tmp_path):
    marked = tmp_path / "marked.qcow2"
    marked.write_bytes(b"")
    _setxattr_or_skip(marked, b"otherlab")  # proves xattrs work here, so None means "no mark"
    path = tmp_path / "foreign.qcow2"
    path.write_bytes(b"")
    assert file_owner.owner(str(path)) is None


def test_disk_owner_missing_file_raises(tmp_path):
    with pytest.raises(OSError):
        file_owner.owner(str(tmp_path / "missing"))


def test_contents_digest_follows_names_and_texts():
    files = {"a": "xy", "b": ""}
    assert file_owner.contents_digest(dict(files)) == file_owner.contents_digest(files)
    assert file_owner.contents_digest({"a": "x", "b": "y"}) != file_owner.contents_digest(files)
    assert file_owner.contents_digest({"c": "xy", "b": ""}) != file_owner.contents_digest(files)
    # The seed stamps of earlier runs stay valid: the same algorithm as before (name NUL text NUL).
    import hashlib
    assert file_owner.contents_digest({"n": "t"}) == hashlib.sha256(b"n\0t\0").hexdigest()
