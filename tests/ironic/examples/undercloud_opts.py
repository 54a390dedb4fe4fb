"""List the undercloud.conf options python-tripleoclient 20 defines, offline.

Run with /opt/labkit-test/tripleo/bin/python. list_opts() is what
oslo-config-generator uses: [(None, [DEFAULT opts]), ('ctlplane-subnet', [subnet opts])].
Other subnet sections use UndercloudConfig().get_remote_subnet_opts() (same names,
different defaults). Parsing a file: register the opts on a private ConfigOpts.
"""
import sys

from oslo_config import cfg
from tripleoclient.config.undercloud import UndercloudConfig, list_opts

for group, opts in list_opts():
    print("[%s] %d options: %s" % (group or "DEFAULT", len(opts),
                                   " ".join(o.name for o in opts)))

if len(sys.argv) > 1:  # parse an undercloud.conf
    conf = cfg.ConfigOpts()
    config = UndercloudConfig()
    conf.register_opts(config.get_opts())
    conf(args=[], default_config_files=[sys.argv[1]])
    for subnet in conf.subnets:
        conf.register_opts(config.get_local_subnet_opts() if subnet == conf.local_subnet
                           else config.get_remote_subnet_opts(), group=subnet)
    print("local_ip=%s subnets=%s" % (conf.local_ip, conf.subnets))
    for subnet in conf.subnets:
        print("[%s] cidr=%s gateway=%s" % (subnet, conf[subnet].cidr, conf[subnet].gateway))
