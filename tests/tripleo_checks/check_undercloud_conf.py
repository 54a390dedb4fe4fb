"""Load an undercloud.conf with python-tripleoclient's own option definitions.

oslo.config ignores keys it does not know, so every key is first checked against
tripleoclient's option list; then every value is read through oslo.config, which
validates its type (IP addresses, integers, booleans...). Prints JSON.
"""
import configparser
import json
import sys

from oslo_config import cfg
from tripleoclient.config.undercloud import UndercloudConfig, list_opts

path = sys.argv[1]
known = {}
for group, opts in list_opts():
    known[group or "DEFAULT"] = {opt.name for opt in opts}
subnet_keys = known.get("ctlplane-subnet", set())

raw = configparser.RawConfigParser()
raw.read(path)
unknown = [["DEFAULT", key] for key in raw.defaults() if key not in known["DEFAULT"]]
for section in raw.sections():
    own = [key for key in raw[section] if key not in raw.defaults()]
    unknown += [[section, key] for key in own if key not in subnet_keys]

conf = cfg.ConfigOpts()
config = UndercloudConfig()
conf.register_opts(config.get_opts())
conf(args=[], default_config_files=[path])
errors = []
values = {"DEFAULT": {}}
for key in raw.defaults():
    if key in known["DEFAULT"]:
        try:
            values["DEFAULT"][key] = conf[key]
        except (ValueError, cfg.Error) as exc:
            errors.append("%s: %s" % (key, exc))
for subnet in conf.subnets:
    conf.register_opts(config.get_local_subnet_opts() if subnet == conf.local_subnet
                       else config.get_remote_subnet_opts(), group=subnet)
    values[subnet] = {}
    for key in raw[subnet] if raw.has_section(subnet) else []:
        if key in subnet_keys and key not in raw.defaults():
            try:
                values[subnet][key] = conf[subnet][key]
            except (ValueError, cfg.Error) as exc:
                errors.append("%s.%s: %s" % (subnet, key, exc))
print(json.dumps({"unknown": unknown, "errors": errors, "values": values}, default=str))
