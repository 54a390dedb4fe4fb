"""Helpers shared by the lab model's tests (test_lab_model, test_lab_network, test_lab_tripleo, test_lab_checks).

Each edits a lab description (the ``lab`` fixture of conftest.py) by dotted path and runs it
through ``lab_model.normalize``, the one entry point every part of the model is reached by.
"""

import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils.lab_model import LabError, normalize

SECRET = "Sup3rS3cret-pw"


def _walk(lab, dotted):
    """(container, key) for a dotted path such as 'network.portgroups.0.vlan'."""
    parts = dotted.split(".")
    node = lab
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    return node, (int(last) if isinstance(node, list) else last)


def setp(lab, dotted, value):
    node, key = _walk(lab, dotted)
    node[key] = value
    return lab


def delp(lab, dotted):
    node, key = _walk(lab, dotted)
    del node[key]
    return lab


def errors_of(lab):
    with pytest.raises(LabError) as info:
        normalize(lab)
    assert info.value.errors, "LabError without errors"
    return info.value.errors


def assert_error(lab, path, fragment=None):
    """normalize(lab) fails with an error whose field path is exactly ``path``."""
    errors = errors_of(lab)
    hits = [e for e in errors if e.startswith(path + ": ")]
    assert hits, "expected an error for %s, got %r" % (path, errors)
    if fragment is not None:
        assert any(fragment in e for e in hits), "no %r in %r" % (fragment, hits)
    return errors


def accepted(lab):
    """normalize(lab) succeeds (the passing twin of a failing case)."""
    try:
        return normalize(lab)
    except LabError as exc:  # pragma: no cover - only on failure
        pytest.fail("unexpected errors: %r" % exc.errors)


def _record_of(model):
    """The lab record's BMC ports of ``model``: the ports normalize chose, by node name."""
    return dict((n["name"], n["bmc_port"]) for n in model["nodes"] if not n["bmc_port_given"])
