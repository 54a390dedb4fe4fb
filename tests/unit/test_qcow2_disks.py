# -*- coding: utf-8 -*-
"""qcow2_disks: reading a disk's virtual size from its header; downloads served from loopback."""
import errno
import http.server
import json
import os
import struct
import threading

import pytest
from ansible.module_utils.testing import patch_module_args

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


# ------------------------------------------------------------------ downloads


@pytest.fixture
def image_server(tmp_path):
    """A loopback HTTP server with one image; counts the requests it answered."""
    served = tmp_path / "served"
    served.mkdir()
    (served / "cloud.qcow2").write_bytes(qcow2_header(10 * GIB) + b"image" * 1000)
    hits = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(served), **kwargs)

        def log_message(self, *args):
            hits.append(self.path)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d" % server.server_port, hits
    server.shutdown()


def run_module(capsys, args, check_mode=False):
    with patch_module_args(dict(args, _ansible_check_mode=check_mode)):
        with pytest.raises(SystemExit):
            qcow2_disks.main()
    return json.loads(capsys.readouterr().out)


def test_a_download_is_marked_before_it_appears_and_never_fetched_again(tmp_path, capsys, image_server):
    base, hits = image_server
    path = tmp_path / "lab_uc-base.qcow2"
    args = {"lab": "lab1", "instance": "i-1", "downloads": [{"url": base + "/cloud.qcow2", "path": str(path)}]}
    (tmp_path / "probe").write_text("")
    _setxattr_or_skip(tmp_path / "probe", b"x")
    result = run_module(capsys, args, check_mode=True)
    assert result["changed"] is True and result["created"] == [str(path)] and not path.exists() and hits == []
    result = run_module(capsys, args)
    assert result["created"] == [str(path)] and len(hits) == 1
    assert file_owner.found_mark(str(path)) == ("lab1", "i-1")
    assert path.read_bytes().endswith(b"image" * 1000) and oct(path.stat().st_mode & 0o777) == "0o644"
    assert sorted(os.listdir(str(tmp_path))) == ["lab_uc-base.qcow2", "probe", "served"]
    result = run_module(capsys, args)
    assert result["changed"] is False and result["existing"] == [str(path)] and len(hits) == 1


def test_a_file_someone_else_put_there_is_refused_not_taken(tmp_path, capsys, image_server):
    base, hits = image_server
    path = tmp_path / "lab_uc-base.qcow2"
    path.write_bytes(b"somebody's image")
    result = run_module(capsys, {"lab": "lab1", "instance": "i-1",
                                 "downloads": [{"url": base + "/cloud.qcow2", "path": str(path)}]})
    assert result["failed"] is True and "were not created by lab 'lab1'" in result["msg"]
    assert path.read_bytes() == b"somebody's image" and file_owner.found_mark(str(path)) == (None, None)
    assert hits == []


def test_a_failed_download_leaves_nothing(tmp_path, capsys, image_server):
    base, _hits = image_server
    path = tmp_path / "lab_uc-base.qcow2"
    result = run_module(capsys, {"lab": "lab1", "downloads": [{"url": base + "/missing.qcow2", "path": str(path)}]})
    assert result["failed"] is True and "cannot download %s/missing.qcow2" % base in result["msg"]
    assert sorted(os.listdir(str(tmp_path))) == ["served"]


# ------------------------------------------------------------------ leftovers


def test_present_lists_the_leftovers_that_absent_removes_and_removes_none(tmp_path, capsys):
    (tmp_path / "probe").write_text("")
    _setxattr_or_skip(tmp_path / "probe", b"x")
    kept = tmp_path / "lab1_a-vda.qcow2"
    gone = tmp_path / "lab1_b-vda.qcow2"
    temporary = tmp_path / ".lab1_c-vda.qcow2.labkit-tmp"
    foreign = tmp_path / "other_b-vda.qcow2"
    for path, owner in ((kept, "lab1"), (gone, "lab1"), (foreign, "other")):
        path.write_bytes(qcow2_header(GIB))
        file_owner.mark(str(path), owner, "i-1")
    temporary.write_bytes(b"half a disk")
    args = {"lab": "lab1", "instance": "i-1", "images_dir": str(tmp_path), "keep": [str(kept)]}
    present = run_module(capsys, dict(args, disks=[{"path": str(kept), "size_gb": 1}]))
    assert present["changed"] is False and present["existing"] == [str(kept)]
    assert present["leftovers"] == sorted([str(gone), str(temporary)]) and present["removed"] == []
    assert gone.exists() and temporary.exists()
    absent = run_module(capsys, dict(args, state="absent"), check_mode=True)
    assert absent["removed"] == present["leftovers"] and gone.exists()
    absent = run_module(capsys, dict(args, state="absent"))
    assert absent["removed"] == present["leftovers"] and absent["leftovers"] == []
    assert sorted(os.listdir(str(tmp_path))) == sorted([kept.name, foreign.name, "probe"])
    present = run_module(capsys, dict(args, disks=[{"path": str(kept), "size_gb": 1}]))
    assert present["leftovers"] == []


def test_present_without_images_dir_lists_no_leftovers(tmp_path, capsys):
    (tmp_path / "probe").write_text("")
    _setxattr_or_skip(tmp_path / "probe", b"x")
    gone = tmp_path / "lab1_b-vda.qcow2"
    gone.write_bytes(qcow2_header(GIB))
    file_owner.mark(str(gone), "lab1", "i-1")
    present = run_module(capsys, {"lab": "lab1", "instance": "i-1"})
    assert present["leftovers"] == [] and gone.exists()
    # A disk the description lists is never a leftover; state=absent removes it (teardown).
    listed = {"lab": "lab1", "instance": "i-1", "disks": [{"path": str(gone), "size_gb": 1}]}
    present = run_module(capsys, listed)
    assert present["existing"] == [str(gone)] and present["leftovers"] == [] and gone.exists()
    absent = run_module(capsys, dict(listed, state="absent"))
    assert absent["removed"] == [str(gone)] and not gone.exists()
