# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The overcloud deploy of a lab, as the commands and files its release expects.

Queens passes role counts and flavors as flags; Train moves them into an environment
file; from Wallaby nodes are provisioned first (``openstack overcloud node provision``)
and the deploy runs on the provisioned servers.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import shlex
from collections import OrderedDict

from ansible_collections.labkit.tripleo.plugins.module_utils.tripleo_release import (
    PROFILE_ROLES, release as release_info)


def profile_counts(nodes):
    """{profile: count} in the order profiles first appear."""
    counts = OrderedDict()
    for node in nodes:
        counts[node["profile"]] = counts.get(node["profile"], 0) + 1
    return counts


def plan(release, nodes, options):
    """Files to write and commands to run, in order.

    ``options``: stack, templates (None for the default tree), environment_files,
    extra_args, libvirt_type, timeout_minutes, workdir (where the files go), openstack (the
    client command, lab.tripleo.openstack_command; default ``openstack``).
    Returns {"files": {path: YAML-able data}, "commands": [argv, ...]}.
    """
    info = release_info(release)
    counts = profile_counts(nodes)
    unknown = [p for p in counts if p not in PROFILE_ROLES]
    if unknown:
        raise ValueError("no overcloud role is known for profile(s) %s (known: %s)"
                         % (", ".join(unknown), ", ".join(sorted(PROFILE_ROLES))))
    workdir = options["workdir"].rstrip("/")
    files = OrderedDict()
    openstack = options.get("openstack") or "openstack"
    deploy = [openstack, "overcloud", "deploy", "--templates"]
    if options.get("templates"):
        deploy.append(options["templates"])
    deploy += ["--stack", options["stack"]]
    commands = []
    params = OrderedDict()

    if info["deploy_style"] == "flags":
        for profile, count in counts.items():
            role = PROFILE_ROLES[profile]
            deploy += [role["scale_flag"], str(count), role["flavor_flag"], profile]
        if info["libvirt_type_flag"]:
            deploy += ["--libvirt-type", options["libvirt_type"]]
    elif info["deploy_style"] == "environment":
        for profile, count in counts.items():
            role = PROFILE_ROLES[profile]
            params[role["count_param"]] = count
            params[role["flavor_param"]] = profile
    else:
        roles = []
        for profile, count in counts.items():
            roles.append(OrderedDict([("name", PROFILE_ROLES[profile]["role"]), ("count", count),
                                      ("defaults", OrderedDict([("profile", profile)]))]))
        files[workdir + "/baremetal-deployment.yaml"] = roles
        deployed = workdir + "/baremetal-deployed.yaml"
        provision = [openstack, "overcloud", "node", "provision", "--stack", options["stack"],
                     "--output", deployed]
        if info["assume_yes"]:
            provision.append("--yes")
        commands.append(provision + [workdir + "/baremetal-deployment.yaml"])
        deploy += ["--deployed-server", "-e", deployed]

    if not info["libvirt_type_flag"]:
        params["NovaComputeLibvirtType"] = options["libvirt_type"]
    if params:
        node_info = workdir + "/labkit-parameters.yaml"
        files[node_info] = OrderedDict([("parameter_defaults", params)])
        deploy += ["-e", node_info]
    for env in options.get("environment_files") or []:
        deploy += ["-e", env]
    deploy += ["--timeout", str(options["timeout_minutes"])]
    if info["assume_yes"]:
        deploy.append("--yes")
    deploy += list(options.get("extra_args") or [])
    commands.append(deploy)
    return {"files": files, "commands": commands}


def reproducer(commands, log, rc_file="~/stackrc"):
    """A script that runs the commands as a user would, logging to ``log``.

    Every word is quoted with shlex, so values from the lab description cannot
    turn into shell syntax.
    """
    lines = [
        "#!/bin/bash",
        "# Written by labkit.tripleo; run it again to repeat this step by hand.",
        "set -euo pipefail",
        # '~/' stays outside the quotes so the shell still expands it.
        "source %s" % ("~/" + shlex.quote(rc_file[2:]) if rc_file.startswith("~/") else shlex.quote(rc_file)),
        'exec > >(tee -a %s) 2>&1' % shlex.quote(log),
    ]
    for argv in commands:
        lines.append(" ".join(shlex.quote(word) for word in argv))
    return "\n".join(lines) + "\n"
