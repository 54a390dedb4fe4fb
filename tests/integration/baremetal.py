"""Harness for the bare-metal lifecycle tests: a real Ironic that network-boots a lab's nodes.

On the lab's own Open vSwitch bridge, a namespace is wired to the provisioning VLAN (with the
product's own VlanNamespace) and holds what an undercloud would run there: dnsmasq answering
the lab's MACs and chaining iPXE to Ironic's boot script, an HTTP server for Ironic's boot
files and the deploy image, and Ironic 39 itself (API and conductor, ipxe boot, agent
inspection, direct deploy). The lab's BMCs stay on the host's 127.0.0.1, relayed into the
namespace's loopback; Ironic's API is relayed to the host's 127.0.0.1:6386 for the openstack
CLI. Every provisioning address lives inside the namespace or on the lab's VMs. Test
harness only.
"""
import json
import os
import pathlib
import shutil
import signal
import subprocess
import time
import urllib.request

from ansible_collections.labkit.tripleo.plugins.module_utils import pxe_responder as pxe
from ansible_collections.labkit.tripleo.plugins.module_utils.netns import VlanNamespace

HERE = pathlib.Path(__file__).resolve().parent
IRONIC_DIR = HERE.parent / "ironic"
PREFIX = pathlib.Path(os.environ.get("IRONICTEST_PREFIX", "/opt/labkit-test"))
IRONIC_VENV = PREFIX / "ironic"
OPENSTACK = PREFIX / "tripleo" / "bin" / "openstack"
API_PORT = 6385
HOST_API_PORT = 6386
HTTP_PORT = 8080


def run(argv):
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def build(script):
    """A cached build from tests/ironic/ipa: the directory it prints last."""
    out = subprocess.run([str(IRONIC_DIR / "ipa" / script)], check=True, stdout=subprocess.PIPE,
                         universal_newlines=True).stdout
    return pathlib.Path(out.strip().splitlines()[-1])


class BareMetalIronic(object):
    def __init__(self, name, bridge, vlan, address, pool, macs, bmcs, state):
        """``address`` with prefix (the undercloud's local_ip), ``pool`` (first, last),
        ``bmcs`` [(type, port)] on the host's 127.0.0.1."""
        self.name = name
        self.address = address
        self.ip = address.split("/")[0]
        self.pool = pool
        self.macs = macs
        self.bmcs = bmcs
        self.state = pathlib.Path(state)
        self.space = VlanNamespace(run, name, bridge, "itbm" + name[-6:].replace("-", ""), vlan, name)
        self.procs = []
        self.env = dict(os.environ, OS_CLOUD="undercloud", OS_CLIENT_CONFIG_FILE=str(self.state / "clouds.yaml"),
                        HTTP_BOOT=str(self.state / "httpboot"))

    # ------------------------------------------------------------ life cycle

    def start(self, ramdisk_dir, image_dir):
        shutil.rmtree(self.state, ignore_errors=True)
        for sub in ("httpboot/images", "tftpboot/master_images", "lock"):
            (self.state / sub).mkdir(parents=True)
        boot = self.state / "httpboot"
        for name in ("agent.kernel", "agent.ramdisk"):
            shutil.copy(ramdisk_dir / name, boot / name)
        shutil.copy(image_dir / "disk.raw", boot / "images" / "disk.raw")
        (boot / "fallback.ipxe").write_text("#!ipxe\necho no boot script for this node: boot the disk\nexit 0\n")
        conf = (IRONIC_DIR / "ironic-bm.conf.in").read_text()
        (self.state / "ironic.conf").write_text(conf.replace("@STATE@", str(self.state)).replace("@ADDR@", self.ip))
        (self.state / "clouds.yaml").write_text(
            "clouds:\n  undercloud:\n    auth_type: none\n    auth:\n      endpoint: http://127.0.0.1:%d\n"
            "    baremetal_endpoint_override: http://127.0.0.1:%d\n" % (HOST_API_PORT, HOST_API_PORT))
        (self.state / "env").write_text("".join("export %s=%s\n" % (k, self.env[k])
                                                for k in ("OS_CLOUD", "OS_CLIENT_CONFIG_FILE", "HTTP_BOOT")))
        why = self.space.preflight()
        assert why is None, why
        # Without it the nodes wait for a DHCP answer until the import times out, 15 minutes on.
        assert shutil.which("dnsmasq"), "dnsmasq is not installed: scripts/setup installs it"
        self.space.create(self.address)
        netmask = pxe.responder_addresses(self.address, *self.pool)[1]
        argv = pxe.dnsmasq_argv("dnsmasq", self.space.port, self.ip, self.pool[0], self.pool[1], netmask,
                                self.macs, str(self.state / "dnsmasq.log"), str(self.state / "leases"),
                                http_port=HTTP_PORT)
        self._spawn("dnsmasq", ["ip", "netns", "exec", self.name] + argv)
        self._spawn("http", ["ip", "netns", "exec", self.name, "python3", "-m", "http.server", str(HTTP_PORT),
                             "--bind", self.ip, "--directory", str(boot)])
        subprocess.run([str(IRONIC_VENV / "bin" / "ironic-dbsync"), "--config-file", str(self.state / "ironic.conf"),
                        "create_schema"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._spawn("ironic", ["ip", "netns", "exec", self.name, str(IRONIC_VENV / "bin" / "ironic"),
                               "--config-file", str(self.state / "ironic.conf")])
        rules = ["tcp:host:127.0.0.1:%d=%s:%d" % (HOST_API_PORT, self.ip, API_PORT)]
        rules += ["%s:ns:127.0.0.1:%d=127.0.0.1:%d" % ("tcp" if kind == "redfish" else "udp", port, port)
                  for kind, port in self.bmcs]
        self._spawn("relay", ["python3", str(IRONIC_DIR / "nsrelay.py"), self.name] + rules)
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/v1" % HOST_API_PORT, timeout=2).read()
                return
            except OSError:
                time.sleep(0.5)
        raise AssertionError("Ironic did not answer; log tail:\n%s" % self.log_tail())

    def _spawn(self, what, argv):
        out = open(self.state / ("%s.out" % what), "w")
        self.procs.append(subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                           start_new_session=True))

    def stop(self):
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        self.procs = []
        self.space.remove()

    def log_tail(self, lines=40):
        path = self.state / "ironic.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    # ------------------------------------------------------------ the CLI

    def openstack(self, *args, check=True):
        proc = subprocess.run([str(OPENSTACK)] + [str(a) for a in args], env=self.env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True, check=False)
        if check:
            assert proc.returncode == 0, "openstack %s: %s" % (" ".join(map(str, args)), proc.stderr[-2000:])
        return proc

    def node(self, name):
        return json.loads(self.openstack("baremetal", "node", "show", name, "-f", "json").stdout)

    def wait_state(self, names, wanted, timeout, failed=("inspect failed", "deploy failed", "clean failed",
                                                         "error", "enroll")):
        """Poll until every node is in ``wanted``; returns {name: seconds}; fails on a failed state."""
        start = time.time()
        done = {}
        while len(done) < len(names):
            for name in names:
                if name in done:
                    continue
                node = self.node(name)
                if node["provision_state"] == wanted:
                    done[name] = round(time.time() - start, 1)
                elif node["provision_state"] in failed and node["provision_state"] != wanted:
                    raise AssertionError("%s is %s: %s\n%s" % (name, node["provision_state"], node["last_error"],
                                                               self.log_tail()))
            if time.time() - start > timeout:
                raise AssertionError("not %s after %ss: %s\n%s" % (
                    wanted, timeout, {n: self.node(n)["provision_state"] for n in names if n not in done},
                    self.log_tail()))
            time.sleep(2)
        return done

    def inventory(self, name):
        proc = self.openstack("--os-baremetal-api-version", "1.81", "baremetal", "node", "inventory", "save",
                              name)
        return json.loads(proc.stdout)
