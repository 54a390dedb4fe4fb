# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whose an object on the virthost is: the one rule every ownership mark is read by.

Every mark the lab writes (a domain's or network's metadata, an OVS row's external_ids, a
file's extended attributes, a VirtualBMC's mark file, an Ironic node's extra) holds the lab's
name and its instance id, the id the lab record makes on the lab's first run. The name alone
cannot tell two labs of one name apart (a record lost and the lab described again, a second
description on a shared virthost); the instance can.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Module options every module that writes or reads a mark takes (doc fragment labkit.tripleo.owner).
OWNER_ARGS = dict(
    lab=dict(type="str", required=True),
    instance=dict(type="str", default=""),
    adopt=dict(type="bool", default=False),
)

OURS = "ours"
# The lab's name without this instance: made before marks held an instance (0.1), or taken
# over with adopt. The lab's; its mark gets this instance.
TO_STAMP = "to stamp"
FOREIGN = "foreign"


def judge(found_lab, found_instance, lab, instance, adopt=False):
    """OURS, TO_STAMP or FOREIGN for an object whose mark holds ``found_lab``/``found_instance``.

    Without an ``instance`` to compare (a check run before the record exists), the name decides.
    """
    if not found_lab or found_lab != lab:
        return FOREIGN
    if not instance or found_instance == instance:
        return OURS
    if not found_instance or adopt:
        return TO_STAMP
    return FOREIGN


def is_ours(found_lab, found_instance, lab, instance, adopt=False):
    return judge(found_lab, found_instance, lab, instance, adopt) != FOREIGN


def verdict(found, params):
    """judge() of a mark ``found`` (lab, instance) for a module that takes OWNER_ARGS (``params``)."""
    return judge(found[0], found[1], params["lab"], params["instance"], params["adopt"])


def describe(found_lab, found_instance):
    """The owner as an error message names it."""
    if not found_lab:
        return "none"
    if found_instance:
        return "lab %s, instance %s" % (found_lab, found_instance)
    return "lab %s" % found_lab


FOREIGN_HINT = ("another lab of the same name (another instance) made it: tear that lab down, "
                "or take it over with -e lab_adopt=true")


def remedy(found_labs, lab, otherwise=None):
    """What a refusal tells the user to do about foreign objects whose marks name ``found_labs``:
    take the lab over when one carries the lab's own name (another instance of it), else ``otherwise``."""
    return FOREIGN_HINT if lab in found_labs else otherwise
