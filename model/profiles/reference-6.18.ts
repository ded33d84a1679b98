// The reference machine: Linux 6.18 x86_64 built without modules (CONFIG_MODULES=n), the kind of
// VM this project's CI runs on. Families, inetsw lists and netlink protocols as probed there.
// Sources: docs/kernel.md §5 and §10.3 (probe sweep), net/ipv4/af_inet.c (inetsw_array).

import type { KernelProfile } from '../profile';

export const reference618: KernelProfile = {
  name: 'reference-6.18',
  description: 'Linux 6.18 x86_64, no modules: UNIX, INET, INET6, NETLINK, PACKET, VSOCK (no datagram transport), XDP',
  version: '6.18',
  families: [1, 2, 10, 16, 17, 40, 44],
  // STREAM = [TCP, MPTCP]; DGRAM = [UDP, UDPLITE, ping]; RAW = [wildcard].
  inetsw: { 1: [6, 262], 2: [17, 136, 1], 3: [0] },
  inet6sw: { 1: [6, 262], 2: [17, 136, 58], 3: [0] },
  netlink: [0, 2, 4, 6, 7, 9, 10, 11, 12, 15, 16],
  vsockDgramTransport: false,
  can: {},
  bluetooth: [],
  fdtableGrowth: 'pow2',
  updateSocketProtocolHook: true,
  sources: ['docs/kernel.md §10.3 family sweep', 'docs/kernel.md §5.4 netlink registrations'],
};
