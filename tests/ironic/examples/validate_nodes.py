"""Validate an instackenv.json with TripleO's own validator (tripleo-common 18).

Run with /opt/labkit-test/tripleo/bin/python. Exit 0 when valid, 1 with the
validator's message when not. validate_nodes(nodes_list) returns None or raises
tripleo_common.exception.InvalidNode; it edits the list in place (drops "_comment").
"""
import inspect
import json
import sys

from tripleo_common import exception
from tripleo_common.utils import nodes

print("signature: validate_nodes%s" % inspect.signature(nodes.validate_nodes))
with open(sys.argv[1]) as f:
    data = json.load(f)
try:
    nodes.validate_nodes(data["nodes"])
except exception.InvalidNode as e:
    print("invalid: %s" % e)
    sys.exit(1)
print("valid: %d node(s)" % len(data["nodes"]))
