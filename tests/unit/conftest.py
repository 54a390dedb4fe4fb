# -*- coding: utf-8 -*-
"""Shared fixtures for the labkit.tripleo unit tests.

The repository root is linked as the collection at
``collections/ansible_collections/labkit/tripleo``; putting ``collections``
first on sys.path makes ``ansible_collections.labkit.tripleo`` importable
(next to the namespace portion that the ansible package ships).
"""

import copy
import sys
from pathlib import Path

import pytest

COLLECTIONS = Path(__file__).resolve().parents[2] / "collections"
# The tests' shared helpers (module_harness, lab_description, the fakes in test_libvirt_conn...)
# are imported by name: ansible-test units imports test files as modules of their package, so
# their directory is not on sys.path by itself.
for path in (COLLECTIONS, Path(__file__).resolve().parent):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

BASE_LAB = {
    "name": "mylab",
    "network": {
        "name": "ovs-network-1", "bridge": "ovs-br1", "uplink": None, "host_address": None, "host_vlan": 100,
        "portgroups": [
            {"name": "access-100", "vlan": 100},
            {"name": "access-101", "vlan": 101},
            {"name": "trunk-1", "trunk": [100, 101, 102]},
        ],
    },
    "bmc": {"type": "ipmi", "address": "127.0.0.1", "port_start": 7001, "username": "admin"},
    "undercloud": {"name": "undercloud", "vcpus": 8, "memory_mb": 8192, "disk_gb": 40,
                   "nics": ["access-100", "access-101"]},
    "nodes": [
        {"name": "control-1", "profile": "control", "vcpus": 8, "memory_mb": 32768, "disk_gb": 60,
         "nics": ["access-100", "trunk-1"]},
        {"name": "compute-1", "profile": "compute", "vcpus": 12, "memory_mb": 32768, "disk_gb": 60,
         "nics": ["access-100"], "extra_disks_gb": []},
    ],
}


@pytest.fixture
def lab():
    """A fresh, valid lab description that a test may mutate freely."""
    return copy.deepcopy(BASE_LAB)


@pytest.fixture
def model(lab):
    """The normalised model of the base description."""
    from ansible_collections.labkit.tripleo.plugins.module_utils import lab_model
    return lab_model.normalize(lab)
