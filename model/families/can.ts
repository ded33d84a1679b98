// AF_CAN ->create: protocol range is EINVAL, an unregistered protocol EPROTONOSUPPORT, and a type
// that differs from the protocol's own type EPROTOTYPE. No capability check at creation.
// Source: net/can/af_can.c (can_create); docs/kernel.md §5.8.

import { check, type FamilyTable } from '../clause';
import { AF, CAN_NPROTO } from '../constants';

const F = 'net/can/af_can.c:can_create';

export const canTable: FamilyTable = {
  family: AF.CAN,
  name: 'AF_CAN',
  create: F,
  rows: [
    check('can-proto-range', ['protocol'], 'EINVAL', 'protocol < 0 or protocol >= CAN_NPROTO (8)', F,
      (c) => c.protocol < 0 || c.protocol >= CAN_NPROTO),
    check('can-proto', ['protocol', 'profile'], 'EPROTONOSUPPORT', 'no CAN protocol registered with this number', F,
      (c) => c.env.profile.can[c.protocol] === undefined),
    check('can-type', ['type', 'protocol', 'profile'], 'EPROTOTYPE', "type differs from the protocol's type (can_proto->type)", F,
      (c) => {
        if (c.env.profile.can[c.protocol] !== c.type) return true;
        c.soprotocol = c.protocol;
        return false;
      }),
  ],
};
