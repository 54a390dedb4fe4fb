# -*- coding: utf-8 -*-
"""file_content: a controller file is only "held" with the same bytes and the same mode."""
import os

from ansible_collections.labkit.tripleo.plugins.module_utils import file_content


def test_same_content_and_mode_is_held_anything_else_is_not(tmp_path):
    path = tmp_path / "instackenv.json"
    path.write_text('{"nodes": "é"}\n', encoding="utf-8")
    os.chmod(str(path), 0o600)
    assert file_content.holds(str(path), '{"nodes": "é"}\n', "0600")
    assert not file_content.holds(str(path), '{"nodes": "é"}', "0600")
    assert not file_content.holds(str(path), '{"nodes": "é"}\n', "0644")
    os.chmod(str(path), 0o644)  # someone widened a file that holds passwords: the copy must run
    assert not file_content.holds(str(path), '{"nodes": "é"}\n', "0600")
    assert not file_content.holds(str(tmp_path / "absent"), "", "0600")
    os.symlink(str(path), str(tmp_path / "link"))
    assert not file_content.holds(str(tmp_path / "link"), '{"nodes": "é"}\n', "0644")
    assert not file_content.holds(str(tmp_path), "", "0755")


def test_a_directory_is_held_with_its_mode_only(tmp_path):
    os.chmod(str(tmp_path), 0o700)
    assert file_content.directory_holds(str(tmp_path), "0700")
    assert not file_content.directory_holds(str(tmp_path), "0755")
    assert not file_content.directory_holds(str(tmp_path / "absent"), "0700")
    os.symlink(str(tmp_path), str(tmp_path / "link"))
    assert not file_content.directory_holds(str(tmp_path / "link"), "0700")
    (tmp_path / "file").write_text("")
    assert not file_content.directory_holds(str(tmp_path / "file"), "0644")
