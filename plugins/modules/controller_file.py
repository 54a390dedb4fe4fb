#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: controller_file
short_description: A file or directory of the lab's artifacts, written on the controller in Ansible's own process
version_added: "0.3.0"
description:
  - Writes a file with the given content and mode, creates a directory, or removes either, on the
    controller (where C(ansible-playbook) runs), for the lab's artifacts (C(instance), C(lab.json),
    C(instackenv.json), reports).
  - Runs in the controller's own process as an action plugin, so a write costs no module round trip;
    C(ansible.builtin.copy) delegated to localhost costs about 0.3-0.6 s a file on the 2-core test
    machine (start of a Python, AnsiballZ, temporary files), which a nightly build of many labs pays
    for every artifact. That is why this collection has it.
  - A file is written only when its content or mode differ; it is written to a temporary file in the
    same directory (mode set before anything is written) and renamed over the old one, so a reader
    never sees half a file and a file holding a secret is never readable by others, not even for a moment.
    A symbolic link at I(path) is replaced, never followed.
  - A directory it creates is given I(mode); missing parents of a file or directory are made 0700,
    since what goes in them may be a secret.
options:
  path:
    description:
      - The file or directory on the controller. A relative path is taken from the directory
        C(ansible-playbook) was started in.
    type: path
    required: true
  content:
    description: What the file holds (text, written as UTF-8). Required with I(state=file).
    type: str
  mode:
    description: Permission bits, as an octal string (C("0600")). Required with I(state=file) and I(state=directory).
    type: str
  state:
    description:
      - C(file) writes I(content); C(directory) creates the directory; C(absent) removes the file or the
        whole directory (a link is removed, not followed).
    type: str
    choices: [file, directory, absent]
    default: file
attributes:
  check_mode:
    support: full
    description: Says what it would write or remove, and writes nothing.
  diff_mode:
    support: full
    description: Shows a file's old and new content (keep C(no_log) on a task whose content is a secret).
  platform:
    support: full
    platforms: posix
    description: Runs on the controller, whichever host the task is for.
author:
  - labkit.tripleo contributors (@labkit-tripleo)
"""

EXAMPLES = r"""
- name: Write instackenv.json
  labkit.tripleo.controller_file:
    path: "{{ lab_artifacts_dir }}/instackenv.json"
    content: "{{ instackenv_text }}"
    mode: "0600"
  no_log: true

- name: Create the lab's artifacts directory
  labkit.tripleo.controller_file:
    path: "{{ lab_artifacts_dir }}"
    state: directory
    mode: "0700"

- name: Remove the lab's artifacts
  labkit.tripleo.controller_file:
    path: "{{ lab_artifacts_dir }}"
    state: absent
"""

RETURN = r"""
path:
  description: The absolute path written, created or removed.
  returned: always
  type: str
action:
  description: C(written), C(mode set), C(created), C(removed) or C(unchanged).
  returned: always
  type: str
"""
