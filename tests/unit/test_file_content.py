# -*- coding: utf-8 -*-
"""file_content: the controller's artifacts are written only when their bytes or mode differ,
atomically, never through a link, and a check run writes nothing."""
import os
import stat

import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import file_content


def mode_of(path):
    return stat.S_IMODE(os.lstat(str(path)).st_mode)


def test_a_file_is_written_once_then_left_alone(tmp_path):
    path = tmp_path / "lab" / "instackenv.json"
    change = file_content.apply(str(path), "file", '{"nodes": "é"}\n', "0600")
    assert (change.action, change.path) == ("written", str(path))
    assert path.read_text(encoding="utf-8") == '{"nodes": "é"}\n'
    assert mode_of(path) == 0o600
    assert mode_of(path.parent) == 0o700  # a parent made for a secret is private
    assert file_content.apply(str(path), "file", '{"nodes": "é"}\n', "0600").action == "unchanged"
    assert file_content.apply(str(path), "file", '{"nodes": []}\n', "0600").action == "written"
    assert path.read_text() == '{"nodes": []}\n'
    assert [p.name for p in path.parent.iterdir()] == ["instackenv.json"]  # no temporary left


def test_a_widened_secret_gets_its_mode_back_without_a_rewrite(tmp_path):
    path = tmp_path / "instackenv.json"
    file_content.apply(str(path), "file", "secret\n", "0600")
    os.chmod(str(path), 0o644)
    inode = os.stat(str(path)).st_ino
    change = file_content.apply(str(path), "file", "secret\n", "0600")
    assert change.action == "mode set"
    assert mode_of(path) == 0o600 and os.stat(str(path)).st_ino == inode


def test_check_mode_says_what_it_would_do_and_writes_nothing(tmp_path):
    path = tmp_path / "sub" / "lab.json"
    change = file_content.apply(str(path), "file", "new\n", "0644", check=True)
    assert change.action == "written"
    assert change.diff == {"before_header": str(path), "after_header": str(path), "before": "", "after": "new\n"}
    assert not (tmp_path / "sub").exists()
    assert file_content.apply(str(tmp_path / "dir"), "directory", mode="0700", check=True).action == "created"
    assert not (tmp_path / "dir").exists()
    (tmp_path / "gone").write_text("x")
    assert file_content.apply(str(tmp_path / "gone"), "absent", check=True).action == "removed"
    assert (tmp_path / "gone").exists()


def test_a_link_is_replaced_never_followed(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_text("not the lab's\n")
    link = tmp_path / "instance"
    os.symlink(str(target), str(link))
    assert file_content.apply(str(link), "file", "uuid\n", "0600").action == "written"
    assert target.read_text() == "not the lab's\n"
    assert not link.is_symlink() and link.read_text() == "uuid\n"
    os.symlink(str(target), str(tmp_path / "link2"))
    assert file_content.apply(str(tmp_path / "link2"), "absent").action == "removed"
    assert target.exists()


def test_a_directory_is_created_with_its_mode_and_its_mode_is_kept(tmp_path):
    path = tmp_path / "artifacts" / "lab1"
    assert file_content.apply(str(path), "directory", mode="0700").action == "created"
    assert mode_of(path) == 0o700
    assert file_content.apply(str(path), "directory", mode="0700").action == "unchanged"
    os.chmod(str(path), 0o755)
    assert file_content.apply(str(path), "directory", mode="0700").action == "mode set"
    assert mode_of(path) == 0o700


def test_absent_removes_a_whole_directory_and_is_then_unchanged(tmp_path):
    path = tmp_path / "lab1"
    (path / "logs").mkdir(parents=True)
    (path / "logs" / "console.log").write_text("x")
    assert file_content.apply(str(path), "absent").action == "removed"
    assert not path.exists()
    assert file_content.apply(str(path), "absent").action == "unchanged"


def test_what_is_in_the_way_or_a_bad_mode_is_refused(tmp_path):
    (tmp_path / "dir").mkdir()
    with pytest.raises(ValueError, match="not a file"):
        file_content.apply(str(tmp_path / "dir"), "file", "x", "0600")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="not a directory"):
        file_content.apply(str(tmp_path / "file"), "directory", mode="0700")
    for mode in ("rw", "0999", "17777", ""):
        with pytest.raises(ValueError, match="mode must be octal"):
            file_content.apply(str(tmp_path / "new"), "file", "x", mode)
    assert not (tmp_path / "new").exists()
