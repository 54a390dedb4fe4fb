"""Parse an `openstack overcloud deploy` command line offline (tripleoclient 20).

Run with /opt/labkit-test/tripleo/bin/python. Building the parser needs no cloud:
cliff's Command only wants an app and app_args; nothing is contacted.
"""
import shlex
import sys
from unittest import mock

from tripleoclient.v1.overcloud_deploy import DeployOvercloud

cmd = DeployOvercloud(mock.Mock(), mock.Mock())
parser = cmd.get_parser("openstack overcloud deploy")
line = sys.argv[1] if len(sys.argv) > 1 else (
    "--templates -e /home/stack/env.yaml --stack overcloud "
    "--ntp-server pool.ntp.org --roles-file roles.yaml")
args = parser.parse_args(shlex.split(line))
print("templates=%s stack=%s ntp_server=%s roles_file=%s environment_files=%s"
      % (args.templates, args.stack, args.ntp_server, args.roles_file,
         args.environment_files))
