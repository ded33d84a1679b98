// AF_NETLINK ->create: type before protocol, EPROTONOSUPPORT (not EINVAL) for an out-of-range
// protocol, and no capability check at creation (privilege is checked at bind/send).
// Source: net/netlink/af_netlink.c (netlink_create); docs/kernel.md §5.4.

import { check, type FamilyTable } from '../clause';
import { AF, MAX_LINKS, SOCK } from '../constants';

const F = 'net/netlink/af_netlink.c:netlink_create';

export const netlinkTable: FamilyTable = {
  family: AF.NETLINK,
  name: 'AF_NETLINK',
  create: F,
  rows: [
    check('netlink-type', ['type'], 'ESOCKTNOSUPPORT', 'type is neither SOCK_RAW nor SOCK_DGRAM', F,
      (c) => c.type !== SOCK.RAW && c.type !== SOCK.DGRAM),
    check('netlink-proto-range', ['protocol'], 'EPROTONOSUPPORT', 'protocol < 0 or protocol >= MAX_LINKS (32)', F,
      (c) => c.protocol < 0 || c.protocol >= MAX_LINKS),
    check('netlink-proto', ['protocol', 'profile'], 'EPROTONOSUPPORT', 'no kernel socket registered for this netlink protocol', F,
      (c) => {
        if (!c.env.profile.netlink.includes(c.protocol)) return true;
        c.soprotocol = c.protocol;
        return false;
      }),
  ],
};
