"""Parse openstack commands with python-tripleoclient's and python-openstackclient's own
argument parsers.

Input: a JSON list of argv lists on stdin (each starting with "openstack").
Output: a JSON list, one parsed namespace (or an error) per command.
"""
import contextlib
import importlib.util
import io
import json
import sys
from unittest import mock

if importlib.util.find_spec("netifaces") is None:
    # tripleoclient 20's undercloud module imports netifaces, which has no wheel for this
    # Python; only the install step uses it, never the argument parser read here.
    sys.modules["netifaces"] = mock.MagicMock()

from ironicclient.osc.v1.baremetal_node import ListBaremetalNode
from openstackclient.compute.v2.server import ListServer
from openstackclient.network.v2.network import ListNetwork, ShowNetwork
from openstackclient.network.v2.network_agent import ListNetworkAgent
from openstackclient.network.v2.subnet import SetSubnet, ShowSubnet
from tripleoclient.v1.container_image import TripleOImagePrepareDefault
from tripleoclient.v1.overcloud_deploy import DeployOvercloud
from tripleoclient.v1.overcloud_image import UploadOvercloudImage
from tripleoclient.v1.undercloud import InstallUndercloud
from tripleoclient.v2.overcloud_node import ProvisionNode

COMMANDS = {
    ("overcloud", "deploy"): (DeployOvercloud, "openstack overcloud deploy"),
    ("overcloud", "node", "provision"): (ProvisionNode, "openstack overcloud node provision"),
    ("overcloud", "image", "upload"): (UploadOvercloudImage, "openstack overcloud image upload"),
    ("tripleo", "container", "image", "prepare", "default"):
        (TripleOImagePrepareDefault, "openstack tripleo container image prepare default"),
    ("undercloud", "install"): (InstallUndercloud, "openstack undercloud install"),
    ("subnet", "show"): (ShowSubnet, "openstack subnet show"),
    ("subnet", "set"): (SetSubnet, "openstack subnet set"),
    ("server", "list"): (ListServer, "openstack server list"),
    ("baremetal", "node", "list"): (ListBaremetalNode, "openstack baremetal node list"),
    ("network", "agent", "list"): (ListNetworkAgent, "openstack network agent list"),
    ("network", "list"): (ListNetwork, "openstack network list"),
    ("network", "show"): (ShowNetwork, "openstack network show"),
}

results = []
for argv in json.load(sys.stdin):
    words = argv[1:]
    for prefix, (command, name) in COMMANDS.items():
        if tuple(words[:len(prefix)]) == prefix:
            parser = command(mock.Mock(), mock.Mock()).get_parser(name)
            stderr = io.StringIO()
            try:
                with contextlib.redirect_stderr(stderr):
                    namespace = parser.parse_args(words[len(prefix):])
                results.append({"command": name, "args": vars(namespace)})
            except SystemExit:
                results.append({"command": name, "error": stderr.getvalue().strip().splitlines()[-1]})
            break
    else:
        results.append({"command": " ".join(argv[:4]), "error": "no parser known"})
print(json.dumps(results, default=str))
