"""The reference lab's nodes, BMC, undercloud and deploy settings, shared by the TripleO builders' tests."""

NODES = [
    {"name": "control-1", "profile": "control", "vcpus": 8, "memory_mb": 32768, "disk_gb": 60,
     "provisioning_mac": "52:54:aa:bb:01:00", "bmc": {"address": "192.168.255.200", "port": 7001}},
    {"name": "compute-1", "profile": "compute", "vcpus": 12, "memory_mb": 32768, "disk_gb": 60,
     "provisioning_mac": "52:54:aa:bb:02:00", "bmc": {"address": "192.168.255.200", "port": 7002}},
    {"name": "compute-2", "profile": "compute", "vcpus": 12, "memory_mb": 32768, "disk_gb": 60,
     "provisioning_mac": "52:54:aa:bb:03:00", "bmc": {"address": "192.168.255.200", "port": 7003}},
    {"name": "storage-1", "profile": "ceph-storage", "vcpus": 4, "memory_mb": 16384, "disk_gb": 160,
     "provisioning_mac": "52:54:aa:bb:04:00", "bmc": {"address": "192.168.255.200", "port": 7004}},
]
BMC = {"type": "ipmi", "username": "admin", "password": "n0t-pr1nted"}
REFERENCE_UNDERCLOUD = {
    "undercloud_hostname": "undercloud.openstack.rnd", "local_ip": "192.168.255.1/24",
    "network_gateway": "192.168.255.1", "undercloud_public_host": "192.168.255.2",
    "undercloud_admin_host": "192.168.255.3", "undercloud_nameservers": ["192.168.255.253"],
    "generate_service_certificate": False, "local_interface": "eth0", "local_mtu": 1450, "underlay_mtu": 1500,
    "network_cidr": "192.168.255.0/24", "masquerade": True, "dhcp_start": "192.168.255.11",
    "dhcp_end": "192.168.255.50", "inspection_iprange": "192.168.255.51,192.168.255.100",
    "scheduler_max_attempts": 10, "container_images_file": "/home/stack/containers-prepare-parameter.yaml",
    "extra": {},
}
DEPLOY = {"stack": "overcloud", "templates": None, "environment_files": ["/home/stack/extra.yaml"],
          "extra_args": ["--ntp-server", "pool.ntp.org"], "libvirt_type": "qemu", "timeout_minutes": 120,
          "workdir": "/home/stack/labkit"}
