// AF_PACKET ->create: CAP_NET_RAW (ns_capable) before the type; the protocol is never validated
// (only its low 16 bits are kept, as a big-endian ethertype) and SO_PROTOCOL reads 0.
// Also the target of PF_INET + SOCK_PACKET (__sock_create's remap).
// Source: net/packet/af_packet.c (packet_create); docs/kernel.md §5.5.

import { check, type FamilyTable } from '../clause';
import { AF, CAP, SOCK } from '../constants';
import { nsCapableNet } from '../creds';

const F = 'net/packet/af_packet.c:packet_create';

export const packetTable: FamilyTable = {
  family: AF.PACKET,
  name: 'AF_PACKET',
  create: F,
  rows: [
    check('packet-cap', ['caps', 'namespaces'], 'EPERM', 'no CAP_NET_RAW in the netns owner (ns_capable), checked before the type', F,
      (c) => !nsCapableNet(c.env.creds, CAP.NET_RAW)),
    check('packet-type', ['type'], 'ESOCKTNOSUPPORT', 'type is not SOCK_DGRAM, SOCK_RAW or SOCK_PACKET', F,
      (c) => c.type !== SOCK.DGRAM && c.type !== SOCK.RAW && c.type !== SOCK.PACKET),
  ],
};
