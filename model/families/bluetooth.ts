// AF_BLUETOOTH ->create: init_net only (EAFNOSUPPORT elsewhere), protocol range EINVAL, registration
// EPROTONOSUPPORT, then each protocol's own type rule; L2CAP SOCK_RAW needs CAP_NET_RAW in the
// initial user namespace (capable(), not ns_capable()).
// Sources: net/bluetooth/af_bluetooth.c (bt_sock_create), l2cap_sock.c, hci_sock.c, sco.c,
// rfcomm/sock.c, bnep/sock.c, cmtp/sock.c, hidp/sock.c, iso.c; docs/kernel.md §5.8.

import { check, type FamilyTable } from '../clause';
import { AF, BT_MAX_PROTO, CAP, SOCK } from '../constants';
import { capableInit, inChildNetns } from '../creds';

const F = 'net/bluetooth/af_bluetooth.c:bt_sock_create';
const L2CAP = 0;
const HCI = 1;
const SCO = 2;
const RFCOMM = 3;
const ISO = 8;

/** The types each registered protocol's create accepts; BNEP, CMTP and HIDP are SOCK_RAW only. */
function typeAllowed(proto: number, type: number): boolean {
  switch (proto) {
    case L2CAP:
      return type === SOCK.SEQPACKET || type === SOCK.STREAM || type === SOCK.DGRAM || type === SOCK.RAW;
    case SCO:
    case ISO:
      return type === SOCK.SEQPACKET;
    case RFCOMM:
      return type === SOCK.STREAM || type === SOCK.RAW;
    case HCI:
    default:
      return type === SOCK.RAW;
  }
}

export const bluetoothTable: FamilyTable = {
  family: AF.BLUETOOTH,
  name: 'AF_BLUETOOTH',
  create: F,
  rows: [
    check('bt-netns', ['namespaces'], 'EAFNOSUPPORT', 'the caller is not in init_net', F, (c) => inChildNetns(c.env.creds)),
    check('bt-proto-range', ['protocol'], 'EINVAL', 'protocol < 0 or protocol >= BT_MAX_PROTO (9)', F,
      (c) => c.protocol < 0 || c.protocol >= BT_MAX_PROTO),
    check('bt-proto', ['protocol', 'profile'], 'EPROTONOSUPPORT', 'no Bluetooth protocol registered with this number', F,
      (c) => !c.env.profile.bluetooth.includes(c.protocol)),
    check('bt-type', ['type', 'protocol'], 'ESOCKTNOSUPPORT', "type not accepted by the protocol's create (L2CAP: SEQPACKET, STREAM, DGRAM, RAW; HCI, BNEP, CMTP, HIDP: RAW; SCO, ISO: SEQPACKET; RFCOMM: STREAM, RAW)",
      'net/bluetooth/l2cap_sock.c:l2cap_sock_create (and each protocol\'s create)',
      (c) => !typeAllowed(c.protocol, c.type)),
    check('bt-l2cap-raw-cap', ['type', 'protocol', 'caps', 'namespaces'], 'EPERM', 'L2CAP SOCK_RAW without CAP_NET_RAW in the initial user namespace (capable)',
      'net/bluetooth/l2cap_sock.c:l2cap_sock_create',
      (c) => {
        if (c.protocol === L2CAP && c.type === SOCK.RAW && !capableInit(c.env.creds, CAP.NET_RAW)) return true;
        c.soprotocol = c.protocol;
        return false;
      }),
  ],
};
