// AF_KEY (PF_KEY v2) ->create: CAP_NET_ADMIN (ns_capable) first, then SOCK_RAW, then PF_KEY_V2.
// Source: net/key/af_key.c (pfkey_create); docs/kernel.md §5.8.

import { check, type FamilyTable } from '../clause';
import { AF, CAP, SOCK } from '../constants';
import { nsCapableNet } from '../creds';

const F = 'net/key/af_key.c:pfkey_create';
const PF_KEY_V2 = 2;

export const keyTable: FamilyTable = {
  family: AF.KEY,
  name: 'AF_KEY',
  create: F,
  rows: [
    check('key-cap', ['caps', 'namespaces'], 'EPERM', 'no CAP_NET_ADMIN in the netns owner (ns_capable)', F,
      (c) => !nsCapableNet(c.env.creds, CAP.NET_ADMIN)),
    check('key-type', ['type'], 'ESOCKTNOSUPPORT', 'type is not SOCK_RAW', F, (c) => c.type !== SOCK.RAW),
    check('key-proto', ['protocol'], 'EPROTONOSUPPORT', 'protocol is not PF_KEY_V2 (2)', F, (c) => c.protocol !== PF_KEY_V2),
  ],
};
