"""nocloud_seed: the seed's documents and the stamp that says whether the ISO is up to date.
The ISO itself is built and read back for real in tests/integration/test_undercloud_vm.py."""
import json

from ansible_collections.labkit.tripleo.plugins.module_utils import file_owner
from ansible_collections.labkit.tripleo.plugins.modules import nocloud_seed

PARAMS = {"user_data": {"users": [{"name": "stack"}], "hostname": "uc"}, "meta_data": {"instance-id": "uc"},
          "network_config": None}


def test_documents_are_cloud_config_and_json():
    files = nocloud_seed.documents(PARAMS)
    assert sorted(files) == ["meta-data", "user-data"]
    assert files["user-data"].startswith("#cloud-config\n")
    assert json.loads(files["user-data"].split("\n", 1)[1]) == PARAMS["user_data"]
    assert json.loads(files["meta-data"]) == PARAMS["meta_data"]


def test_network_config_only_when_given():
    files = nocloud_seed.documents(dict(PARAMS, network_config={"version": 2, "ethernets": {}}))
    assert json.loads(files["network-config"]) == {"version": 2, "ethernets": {}}


def test_the_stamp_is_stable_and_follows_every_document():
    stamp = file_owner.contents_digest(nocloud_seed.documents(PARAMS))
    # Key order in the description does not matter: the documents are rendered sorted.
    reordered = dict(PARAMS, user_data={"hostname": "uc", "users": [{"name": "stack"}]})
    assert file_owner.contents_digest(nocloud_seed.documents(reordered)) == stamp
    changed = dict(PARAMS, meta_data={"instance-id": "uc2"})
    assert file_owner.contents_digest(nocloud_seed.documents(changed)) != stamp
