// AF_ALG ->create: SOCK_SEQPACKET only, protocol 0 only, no capability check.
// Source: crypto/af_alg.c (alg_create); docs/kernel.md §5.8.

import { check, type FamilyTable } from '../clause';
import { AF, SOCK } from '../constants';

const F = 'crypto/af_alg.c:alg_create';

export const algTable: FamilyTable = {
  family: AF.ALG,
  name: 'AF_ALG',
  create: F,
  rows: [
    check('alg-type', ['type'], 'ESOCKTNOSUPPORT', 'type is not SOCK_SEQPACKET', F, (c) => c.type !== SOCK.SEQPACKET),
    check('alg-proto', ['protocol'], 'EPROTONOSUPPORT', 'protocol is not 0', F, (c) => c.protocol !== 0),
  ],
};
