// AF_VSOCK ->create: protocol before type, and ENODEV for datagrams when no transport registered
// with VSOCK_TRANSPORT_F_DGRAM (only vmci does; virtio, vhost, hyperv and loopback do not).
// Source: net/vmw_vsock/af_vsock.c (vsock_create, vsock_assign_transport); docs/kernel.md §5.6.

import { check, type FamilyTable } from '../clause';
import { AF, SOCK } from '../constants';

const F = 'net/vmw_vsock/af_vsock.c:vsock_create';

export const vsockTable: FamilyTable = {
  family: AF.VSOCK,
  name: 'AF_VSOCK',
  create: F,
  rows: [
    check('vsock-proto', ['protocol'], 'EPROTONOSUPPORT', 'protocol is neither 0 nor PF_VSOCK (40)', F,
      (c) => c.protocol !== 0 && c.protocol !== AF.VSOCK),
    check('vsock-type', ['type'], 'ESOCKTNOSUPPORT', 'type is not SOCK_DGRAM, SOCK_STREAM or SOCK_SEQPACKET', F,
      (c) => c.type !== SOCK.DGRAM && c.type !== SOCK.STREAM && c.type !== SOCK.SEQPACKET),
    check('vsock-dgram-transport', ['type', 'profile'], 'ENODEV', 'SOCK_DGRAM and no datagram transport is registered',
      'net/vmw_vsock/af_vsock.c:vsock_assign_transport',
      (c) => c.type === SOCK.DGRAM && !c.env.profile.vsockDgramTransport),
  ],
};
