// AF_XDP ->create: CAP_NET_RAW (ns_capable) first, then the type, then the protocol.
// Source: net/xdp/xsk.c (xsk_create); docs/kernel.md §5.7.

import { check, type FamilyTable } from '../clause';
import { AF, CAP, SOCK } from '../constants';
import { nsCapableNet } from '../creds';

const F = 'net/xdp/xsk.c:xsk_create';

export const xdpTable: FamilyTable = {
  family: AF.XDP,
  name: 'AF_XDP',
  create: F,
  rows: [
    check('xdp-cap', ['caps', 'namespaces'], 'EPERM', 'no CAP_NET_RAW in the netns owner (ns_capable)', F,
      (c) => !nsCapableNet(c.env.creds, CAP.NET_RAW)),
    check('xdp-type', ['type'], 'ESOCKTNOSUPPORT', 'type is not SOCK_RAW', F, (c) => c.type !== SOCK.RAW),
    check('xdp-proto', ['protocol'], 'EPROTONOSUPPORT', 'protocol is not 0', F, (c) => c.protocol !== 0),
  ],
};
