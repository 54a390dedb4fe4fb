# -*- coding: utf-8 -*-
"""dhcp_probe: the DHCPDISCOVER frames the probe sends and the offers it reads back."""

import struct

from ansible_collections.labkit.tripleo.plugins.module_utils import dhcp_probe

MAC1 = "52:54:1a:10:01:00"


def _offer(xid, server=b"\xc0\xa8\x18\x01", offered=b"\xc0\xa8\x18\x64", message_type=2):
    packet = bytearray(240)
    packet[0] = 2
    packet[4:8] = struct.pack("!I", xid)
    packet[16:20] = offered
    packet[236:240] = b"\x63\x82\x53\x63"
    return bytes(packet) + bytes([53, 1, message_type, 54, 4]) + server + b"\xff"


def test_discover_frame_is_a_broadcast_from_no_address():
    frame = dhcp_probe.discover_frame("02:11:22:33:44:55", MAC1, 0x1234)
    assert frame[:6] == b"\xff" * 6 and frame[6:12] == bytes.fromhex("021122334455") and frame[12:14] == b"\x08\x00"
    ip = frame[14:34]
    assert ip[12:16] == b"\0\0\0\0" and ip[16:20] == b"\xff\xff\xff\xff" and ip[9] == 17
    assert dhcp_probe._checksum(ip) == 0  # a valid header sums to zero
    payload = frame[42:]
    assert payload[0] == 1 and struct.unpack("!I", payload[4:8])[0] == 0x1234
    assert payload[28:34] == bytes.fromhex(MAC1.replace(":", ""))
    assert struct.unpack("!H", payload[10:12])[0] & 0x8000  # asks for a broadcast answer
    assert dhcp_probe.dhcp_from_frame(frame) is None  # to port 67, not an answer


def test_offer_in_a_frame_is_read_back():
    offer = _offer(7)
    udp = struct.pack("!HHHH", 67, 68, 8 + len(offer), 0) + offer
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, b"\xc0\xa8\x18\x01", b"\xff" * 4)
    frame = b"\xff" * 6 + b"\x02" * 6 + b"\x08\x00" + ip + udp
    assert dhcp_probe.parse_offer(dhcp_probe.dhcp_from_frame(frame), {7}) == ("192.168.24.1", "192.168.24.100")


def test_offers_to_other_transactions_or_other_messages_are_not_ours():
    assert dhcp_probe.parse_offer(_offer(7), {8}) is None
    assert dhcp_probe.parse_offer(_offer(7, message_type=5), {7}) is None  # an ACK
    assert dhcp_probe.parse_offer(b"\x02" * 100, {7}) is None
