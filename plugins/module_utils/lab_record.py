# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab record, kept on the virthost under ``<dir>/<lab>/`` beside the lab's lock (``lab_lock``).

The record (``state.json``) is what a run must remember for the next one: the lab's
instance id and the BMC port each node was given, so that a node keeps its BMC
whatever its position in the description.

The lab's directory is root-only (0700) and its files (0600) are written atomically: a
temporary file in the same directory, fsync, rename. A run killed at any point leaves
either the old or the new file, never half of one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import json
import os
import time
import uuid

# The record keeps the BMC type as a place, so that a run removes the BMCs of a former type only
# when the type changed.
from ansible_collections.labkit.tripleo.plugins.module_utils.lab_network import BMC_TYPES
from ansible_collections.labkit.tripleo.plugins.module_utils import file_content

RECORD_FILE = "state.json"
RECORD_VERSION = 1
# The options of every module working in the lab's directory (doc fragment labkit.tripleo.lab_dir).
LAB_DIR_ARGS = dict(lab=dict(type="str", required=True), dir=dict(type="path", default="/var/lib/labkit"))


def lab_dir(base, lab):
    return os.path.join(base, lab)


def ensure_dir(path):
    if not os.path.isdir(path):
        os.makedirs(path, 0o700)
    os.chmod(path, 0o700)


def write_json_atomic(path, data):
    """Write ``data`` as JSON to ``path``, mode 0600, replacing the old file in one rename."""
    file_content.write_atomic(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8"), 0o600)


def remove_stale_temporaries(directory):
    """Temporary files a killed run left behind (they never replaced anything)."""
    removed = []
    if not os.path.isdir(directory):
        return removed
    for entry in sorted(os.listdir(directory)):
        if entry.startswith(".") and entry.endswith(".tmp"):
            os.unlink(os.path.join(directory, entry))
            removed.append(entry)
    return removed


def read_json(path):
    """The JSON object in ``path``, or None when the file does not exist."""
    try:
        with open(path) as stream:
            data = json.load(stream)
    except IOError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise
    if not isinstance(data, dict):
        raise ValueError("%s does not hold a JSON object" % path)
    return data


# A boot check claims the record before its namespace exists and gives the claim back once the
# namespace is gone: only a claim left over (a killed check) needs teardown to look for its leftovers.
BOOT_CHECK_KEY = "boot_check"


def new_record(lab, controller=None):
    return {"version": RECORD_VERSION, "lab": lab, "instance": str(uuid.uuid4()), "controller": controller,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "bmc_ports": {}, BOOT_CHECK_KEY: None}


def boot_check_left(record):
    """Whether a boot check may have left something: its claim is in the record, or there is no
    record to say, or the record is older than the claim (it has no such key)."""
    return record is None or BOOT_CHECK_KEY not in record or record[BOOT_CHECK_KEY] is not None


def instance_conflict(record, known_instance, controller):
    """Why this run may not use the lab ``record`` holds, or None.

    ``known_instance`` is the instance id the controller kept from its last run of the lab
    (None on a first run or a fresh checkout); ``controller`` is ``user@host`` of the
    controller. A lab of the same name built from another description is another instance:
    either the controller knows another id, or it knows none and the lab was built by
    another user or host.
    """
    if record is None:
        return None
    recorded = record.get("instance")
    holder = record.get("controller") or "an unknown controller"
    if known_instance:
        if known_instance != recorded:
            return ("lab %s on this host is instance %s (built by %s, %s), not instance %s that this controller "
                    "built: another description uses the same lab name" % (
                        record.get("lab"), recorded, holder, record.get("created"), known_instance))
        return None
    if record.get("controller") and record["controller"] != controller:
        return ("lab %s on this host was built by %s (instance %s, %s) and this controller (%s) has never built it: "
                "another description may use the same lab name" % (
                    record.get("lab"), holder, recorded, record.get("created"), controller))
    return None


def without_secrets(value):
    """``value`` with every key naming a password removed, at any depth."""
    if isinstance(value, dict):
        return dict((k, without_secrets(v)) for k, v in value.items() if "password" not in str(k).lower())
    if isinstance(value, list):
        return [without_secrets(v) for v in value]
    return value


def updated_record(record, lab, bmc_ports, places, description=None, controller=None):
    """The record after this run: returns (new record, whether it differs from ``record``).

    ``description`` (the lab as last described, secrets removed) is what lets teardown run
    from the record alone after the lab was renamed or its description lost.
    """
    if record is None:
        record = new_record(lab, controller)
    if record.get("lab") != lab:
        raise ValueError("the record names lab %r, not %r" % (record.get("lab"), lab))
    new = dict(record)
    new["bmc_ports"] = dict(sorted(bmc_ports.items()))
    new["places"] = places
    if description:
        new["description"] = without_secrets(description)
    new["stale_places"] = stale_places(record.get("places") or {}, places, record.get("stale_places") or {})
    # A record from before the BMC type was recorded: the lab may still run BMCs of the other type.
    if record.get("places") and places.get("bmc_type") and "bmc_type" not in record["places"]:
        new["stale_places"] = stale_places({}, places, dict(new["stale_places"], bmc_type=[
            kind for kind in BMC_TYPES if kind != places["bmc_type"]]))
    if not new["stale_places"]:
        del new["stale_places"]
    return new, new != record


def stale_places(old, new, stale):
    """Places the lab used before and no longer does (a renamed network, bridge, images directory).

    They stay listed until the run that removes what the lab left there says so
    (``forget_stale``); a place renamed back is current again, not stale.
    """
    result = dict((key, list(values)) for key, values in stale.items())
    for key, value in old.items():
        if value and value != new.get(key) and value not in result.get(key, []):
            result.setdefault(key, []).append(value)
    for key, value in new.items():
        if value in result.get(key, []):
            result[key].remove(value)
    return dict((key, values) for key, values in sorted(result.items()) if values)


def forget_stale(record, cleaned):
    """The record without the stale places in ``cleaned`` ({key: [values]}): returns (record, changed)."""
    stale = record.get("stale_places") or {}
    left = dict((key, [v for v in values if v not in (cleaned.get(key) or [])]) for key, values in stale.items())
    left = dict((key, values) for key, values in left.items() if values)
    new = dict(record)
    new.pop("stale_places", None)
    if left:
        new["stale_places"] = left
    return new, new != record


def record_path(base, lab):
    return os.path.join(lab_dir(base, lab), RECORD_FILE)


def set_record_key(base, lab, key, value):
    """Replace one key of the lab's record (made by the ``lab_record`` module) atomically.

    Modules that create objects the lab owns by record alone (firewall rules) write what
    they are about to create here first, so that a run killed half-way leaves a claim the
    next run honours, never an object nobody owns.
    """
    path = record_path(base, lab)
    record = read_json(path)
    if record is None:
        raise ValueError("%s does not exist (the lab role writes it first)" % path)
    if record.get(key) != value:
        record[key] = value
        write_json_atomic(path, record)
