"""Relays TCP and UDP between the host's network namespace and a test namespace.

The bare-metal tests run Ironic inside a namespace on the lab's provisioning VLAN (the
conductor must reach the agent on the VMs, and the VMs must reach Ironic), while the lab's
BMCs stay on the host's 127.0.0.1 and the test's openstack CLI runs on the host. A socket
belongs to the namespace it was created in, so this one process creates each listening
socket in one namespace and each outgoing socket in the other:

    nsrelay.py NAMESPACE RULE...
    RULE = PROTO:SIDE:LISTEN_ADDR:LISTEN_PORT=TARGET_ADDR:TARGET_PORT
    PROTO = tcp | udp;  SIDE = where it listens: ns or host (the target is on the other side)

e.g. ``udp:ns:127.0.0.1:7351=127.0.0.1:7351`` lets Ironic in the namespace reach a
VirtualBMC on the host's loopback. UDP gets one outgoing socket per client address, so an
IPMI session (bound to its source port) survives. Traffic stays on loopback and inside the
namespace. Test harness only: never shipped as product code.
"""
import ctypes
import os
import selectors
import socket
import sys

CLONE_NEWNET = 0x40000000
LIBC = ctypes.CDLL("libc.so.6", use_errno=True)


class Namespaces(object):
    def __init__(self, name):
        self.fds = {"host": os.open("/proc/self/ns/net", os.O_RDONLY),
                    "ns": os.open("/run/netns/" + name, os.O_RDONLY)}

    def socket(self, side, kind):
        """A socket created in ``side``'s namespace; the thread goes back to the host's."""
        if LIBC.setns(self.fds[side], CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")
        try:
            return socket.socket(socket.AF_INET, kind)
        finally:
            LIBC.setns(self.fds["host"], CLONE_NEWNET)


def parse(rule):
    proto, side, laddr, rest = rule.split(":", 3)
    lport, target = rest.split("=")
    taddr, tport = target.rsplit(":", 1)
    if proto not in ("tcp", "udp") or side not in ("ns", "host"):
        raise SystemExit("bad rule %r" % rule)
    return proto, side, (laddr, int(lport)), (taddr, int(tport))


def main():
    spaces = Namespaces(sys.argv[1])
    sel = selectors.DefaultSelector()
    for rule in sys.argv[2:]:
        proto, side, listen, target = parse(rule)
        other = "host" if side == "ns" else "ns"
        kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
        sock = spaces.socket(side, kind)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(listen)
        sock.setblocking(False)
        if proto == "tcp":
            sock.listen(64)
            sel.register(sock, selectors.EVENT_READ, ("accept", other, target))
        else:
            sel.register(sock, selectors.EVENT_READ, ("udp-in", other, target, {}))
    print("nsrelay: ready", flush=True)
    while True:
        for key, _mask in sel.select():
            data = key.data
            if data[0] == "accept":
                client, _addr = key.fileobj.accept()
                upstream = spaces.socket(data[1], socket.SOCK_STREAM)
                try:
                    upstream.connect(data[2])
                except OSError:
                    client.close()
                    upstream.close()
                    continue
                for a, b in ((client, upstream), (upstream, client)):
                    a.setblocking(False)
                    sel.register(a, selectors.EVENT_READ, ("pipe", b))
            elif data[0] == "pipe":
                try:
                    chunk = key.fileobj.recv(65536)
                except OSError:
                    chunk = b""
                if chunk:
                    data[1].setblocking(True)
                    try:
                        data[1].sendall(chunk)
                    except OSError:
                        chunk = b""
                    data[1].setblocking(False)
                if not chunk:
                    for sock in (key.fileobj, data[1]):
                        try:
                            sel.unregister(sock)
                        except (KeyError, ValueError):
                            pass
                        sock.close()
            elif data[0] == "udp-in":
                payload, client = key.fileobj.recvfrom(65536)
                upstreams = data[3]
                if client not in upstreams:
                    upstream = spaces.socket(data[1], socket.SOCK_DGRAM)
                    upstream.setblocking(False)
                    upstream.connect(data[2])
                    upstreams[client] = upstream
                    sel.register(upstream, selectors.EVENT_READ, ("udp-back", key.fileobj, client))
                upstreams[client].send(payload)
            elif data[0] == "udp-back":
                try:
                    payload = key.fileobj.recv(65536)
                except OSError:
                    continue
                data[1].sendto(payload, data[2])


if __name__ == "__main__":
    main()
