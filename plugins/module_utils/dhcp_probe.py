# -*- coding: utf-8 -*-
# Copyright: labkit.tripleo contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether another DHCP server answers on a VLAN: DHCPDISCOVER frames built and offers read
back (pure functions), and the probe that sends them from inside a network namespace.

The boot check runs it before it answers DHCP itself, so it never competes with an
undercloud or any other server already on the provisioning VLAN."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import json
import os
import select
import socket
import struct
import subprocess
import time

from ansible_collections.labkit.tripleo.plugins.module_utils.netns import fork_into

DHCP_SERVER_PORT = 67
DHCP_CLIENT_PORT = 68
_MAGIC_COOKIE = b"\x63\x82\x53\x63"


def dhcp_discover(mac, xid):
    """A DHCPDISCOVER from ``mac`` asking for a broadcast answer (the asker has no address)."""
    chaddr = bytes(int(part, 16) for part in mac.split(":"))
    header = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, 0x8000, b"\0" * 4, b"\0" * 4,
                         b"\0" * 4, b"\0" * 4, chaddr + b"\0" * 10, b"\0" * 64, b"\0" * 128)
    options = _MAGIC_COOKIE + bytes([53, 1, 1, 55, 3, 1, 3, 6, 255])
    return header + options


def _checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _mac_bytes(mac):
    return bytes(int(part, 16) for part in mac.split(":"))


def discover_frame(src_mac, chaddr_mac, xid):
    """A whole Ethernet frame carrying a DHCPDISCOVER from 0.0.0.0, as a client without address
    sends it. Sent on a packet socket, it needs no address or route, so the probe cannot be
    mistaken by a server for one of its own packets (the undercloud's address is the
    responder's address too)."""
    payload = dhcp_discover(chaddr_mac, xid)
    udp = struct.pack("!HHHH", DHCP_CLIENT_PORT, DHCP_SERVER_PORT, 8 + len(payload), 0) + payload
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), xid & 0xFFFF, 0, 64, 17, 0,
                         b"\0\0\0\0", b"\xff\xff\xff\xff")
    header = header[:10] + struct.pack("!H", _checksum(header)) + header[12:]
    return b"\xff" * 6 + _mac_bytes(src_mac) + b"\x08\x00" + header + udp


def dhcp_from_frame(frame):
    """The DHCP payload of an Ethernet frame to UDP port 68, or None."""
    if len(frame) < 14 + 20 + 8 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    if ip[0] >> 4 != 4 or ip[9] != 17 or len(ip) < ihl + 8:
        return None
    dst_port = struct.unpack("!H", ip[ihl + 2:ihl + 4])[0]
    return ip[ihl + 8:] if dst_port == DHCP_CLIENT_PORT else None


def parse_offer(packet, xids):
    """(server address, offered address) when ``packet`` is a DHCPOFFER to one of ``xids``, else None."""
    if len(packet) < 240 or packet[0] != 2 or packet[236:240] != _MAGIC_COOKIE:
        return None
    xid = struct.unpack("!I", packet[4:8])[0]
    if xid not in xids:
        return None
    offered = str(ipaddress.ip_address(packet[16:20]))
    server = str(ipaddress.ip_address(packet[20:24]))
    message_type = None
    index = 240
    while index < len(packet) and packet[index] != 255:
        code = packet[index]
        if code == 0:
            index += 1
            continue
        if index + 1 >= len(packet):
            break
        length = packet[index + 1]
        value = packet[index + 2:index + 2 + length]
        if code == 53 and value:
            message_type = value[0]
        elif code == 54 and len(value) == 4:
            server = str(ipaddress.ip_address(value))
        index += 2 + length
    if message_type != 2:
        return None
    return server, offered


def probe_dhcp(write_fd, interface, own_mac, macs, seconds):
    """Broadcast a DHCPDISCOVER for each MAC from 0.0.0.0 and report every offer as JSON on
    ``write_fd``. Packet sockets: the namespace's own address must not be the probe's source."""
    eth_p_ip = 0x0800
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(eth_p_ip))
    sock.bind((interface, eth_p_ip))
    xids = set()
    for index, mac in enumerate(macs):
        xid = (os.getpid() << 8 | index) & 0xFFFFFFFF
        xids.add(xid)
        sock.send(discover_frame(own_mac, mac, xid))
    offers = []
    deadline = time.time() + seconds
    while time.time() < deadline:
        ready, _w, _x = select.select([sock], [], [], max(0.0, deadline - time.time()))
        if not ready:
            break
        payload = dhcp_from_frame(sock.recv(4096))
        offer = parse_offer(payload, xids) if payload else None
        if offer and offer not in offers:
            offers.append(offer)
    os.write(write_fd, json.dumps(offers).encode("utf-8"))


def read_port_mac(namespace, port):
    proc = subprocess.run(["ip", "-n", namespace, "-j", "link", "show", "dev", port], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, check=False)
    return json.loads(proc.stdout)[0]["address"] if proc.returncode == 0 else None


def foreign_dhcp_offers(namespace, port, own_mac, macs, seconds):
    read_fd, write_fd = os.pipe()
    pid = fork_into(namespace, probe_dhcp, write_fd, port, own_mac, macs, seconds)
    os.close(write_fd)
    chunks = []
    while True:
        chunk = os.read(read_fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_fd)
    _pid, status = os.waitpid(pid, 0)
    if not chunks or os.WEXITSTATUS(status) != 0:
        raise RuntimeError("the DHCP probe in namespace %s failed" % namespace)
    return json.loads(b"".join(chunks).decode("utf-8"))
