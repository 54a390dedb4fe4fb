"""The table of lab description keys (docs/lab-description.md) is checked against the model's schema, so the
two cannot drift: every key the model accepts is documented, every documented key exists, and
every scalar default the table states is the model's."""
import pathlib
import re

import pytest

from ansible_collections.labkit.tripleo.plugins.module_utils import lab_model as lm
from ansible_collections.labkit.tripleo.plugins.module_utils import lab_network as ln
from ansible_collections.labkit.tripleo.plugins.module_utils import lab_tripleo as lt
from ansible_collections.labkit.tripleo.plugins.module_utils.lab_checks import Missing

KEYS_PAGE = pathlib.Path(__file__).resolve().parents[2] / "docs" / "lab-description.md"
NESTED = {"network": ln.NETWORK_SCHEMA, "bmc": ln.BMC_SCHEMA, "libvirt": ln.LIBVIRT_SCHEMA,
          "checks": lm.CHECKS_SCHEMA, "tripleo": lt.TRIPLEO_SCHEMA}
# Keys whose members the table lists in braces in the meaning column.
LISTED = {"undercloud": lm.VM_SCHEMA, "nodes": lm.NODE_SCHEMA, "tripleo.deploy": lt.DEPLOY_SCHEMA,
          "tripleo.management": lt.MANAGEMENT_SCHEMA, "network.portgroups": ln.PORTGROUP_SCHEMA}


def table_rows():
    text = KEYS_PAGE.read_text()
    section = text.split("# The lab description", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows.append(cells)
    assert rows, "the key table is gone from %s" % KEYS_PAGE
    return rows


def documented():
    """{dotted key: (default cell, meaning cell)}, rows like `a.b` / `c` giving a.b and a.c."""
    keys = {}
    for key_cell, default, meaning in table_rows():
        names = re.findall(r"`([^`]+)`", key_cell)
        first = names[0]
        keys[first] = (default, meaning)
        prefix = first.rsplit(".", 1)[0] + "." if "." in first else ""
        for sibling in names[1:]:
            keys[prefix + sibling] = (default, meaning)
    return keys


def schema_keys():
    keys = set(k for k in lm.TOP_SCHEMA if k not in NESTED)
    for section, schema in NESTED.items():
        keys.update("%s.%s" % (section, k) for k in schema)
    return keys


def test_every_key_of_the_model_is_documented_and_no_other():
    docs = documented()
    wanted = schema_keys() - {"tripleo.undercloud"} | {"tripleo.undercloud.*"}
    assert sorted(wanted - set(docs)) == [], "keys the model accepts that the page does not document"
    assert sorted(set(docs) - wanted) == [], "keys the page documents that the model does not accept"


@pytest.mark.parametrize("key", sorted(LISTED))
def test_the_members_listed_in_braces_are_the_schemas(key):
    meaning = documented()[key][1]
    groups = re.findall(r"\{([^}]*)\}", meaning)
    assert groups, "%s: its members are listed as {a, b, ...}" % key
    # "{name, vlan}" or "{name, trunk: [vlans]}"; "(default)" after a member is its default.
    members = set(re.sub(r"\s*\(.*?\)|:.*", "", m).strip() for group in groups for m in group.split(","))
    assert members == set(LISTED[key]), key


def test_every_stated_scalar_default_is_the_models():
    checked = 0
    for key, (default, _meaning) in documented().items():
        value = re.fullmatch(r"`([^`]+)`", default)
        if not value or "." not in key or key.startswith("tripleo.undercloud"):
            continue
        section, name = key.split(".", 1)
        model_default = NESTED[section].get(name)
        if isinstance(model_default, (bool, int, str)) and not isinstance(model_default, Missing):
            shown = str(model_default).lower() if isinstance(model_default, bool) else str(model_default)
            assert value.group(1) == shown, "%s: the page says %s, the model %r" % (key, value.group(1), model_default)
            checked += 1
    assert checked >= 15


PLUGINS = pathlib.Path(__file__).resolve().parents[2] / "plugins"


@pytest.mark.parametrize("path", sorted(PLUGINS.glob("modules/*.py")) + sorted(PLUGINS.glob("callback/*.py")),
                         ids=lambda p: p.stem)
def test_every_plugin_documents_itself_and_its_options_match_its_argument_spec(path):
    """What ansible-doc renders: DOCUMENTATION, EXAMPLES and RETURN parse as YAML, and every option
    of the module's own argument spec is documented (doc fragments count)."""
    import ast
    import yaml
    tree = ast.parse(path.read_text())
    docs = dict((node.targets[0].id, node.value.value) for node in tree.body
                if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id in ("DOCUMENTATION", "EXAMPLES", "RETURN"))
    documentation = yaml.safe_load(docs["DOCUMENTATION"])
    assert documentation["short_description"] and documentation["description"]
    if path.parent.name == "callback":
        return
    yaml.safe_load(docs["EXAMPLES"])
    yaml.safe_load(docs["RETURN"])
    documented = set((documentation.get("options") or {}))
    for fragment in documentation.get("extends_documentation_fragment") or []:
        fragment_path = PLUGINS / "doc_fragments" / ("%s.py" % fragment.split(".")[-1])
        fragment_tree = ast.parse(fragment_path.read_text())
        for node in ast.walk(fragment_tree):
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "DOCUMENTATION":
                documented |= set(yaml.safe_load(node.value.value).get("options") or {})
    spec_keys = set(re.findall(r"^            ([a-z_]+)=dict\(", path.read_text(), re.M))
    assert spec_keys <= documented, "undocumented options: %s" % sorted(spec_keys - documented)
