// Debian 12's 6.1 cloud-amd64 kernel with every socket-family module loaded before the calls (the
// deterministic mode of the VM oracle). Lists read off the package's config and module aliases
// (linux-image-6.1.0-54-cloud-amd64, 6.1.190-1): DCCP, SCTP and L2TP/IP join inetsw; KEY, ALG,
// RDS, TIPC, KCM and SMC are modules; XDP is built in; vsock has vmci_transport, the one transport
// that registers for datagrams. Sources: net/ipv4/af_inet.c (inet_register_protosw), docs/kernel.md §8.

import type { KernelProfile } from '../profile';

export const debian61: KernelProfile = {
  name: 'debian-6.1',
  description: 'Debian 12 linux-image-6.1 cloud-amd64, every socket-family module loaded',
  version: '6.1',
  families: [1, 2, 10, 15, 16, 17, 21, 30, 38, 40, 41, 43, 44],
  // Non-permanent registrations go after the last permanent entry, so later modules land before
  // earlier non-permanent ones; only the first entry matters (protocol 0), and that is TCP or UDP.
  inetsw: { 1: [6, 132, 262], 2: [17, 136, 115, 1], 3: [0], 5: [132], 6: [33] },
  inet6sw: { 1: [6, 132, 262], 2: [17, 136, 115, 58], 3: [0], 5: [132], 6: [33] },
  // ROUTE, USERSOCK, SOCK_DIAG, XFRM, SELINUX, ISCSI, AUDIT, FIB_LOOKUP, CONNECTOR, NETFILTER,
  // KOBJECT_UEVENT, GENERIC, SCSITRANSPORT, RDMA, CRYPTO.
  netlink: [0, 2, 4, 6, 7, 8, 9, 10, 11, 12, 15, 16, 18, 20, 21],
  vsockDgramTransport: true,
  can: {},
  bluetooth: [],
  // "alloc_fdtable(): change calling conventions." reached 6.1 stable in 6.1.150 (Debian
  // 6.1.153-1): a grown table is clamped down to nr_open, as from 6.12 on (class vm-nr-open-100).
  fdtableGrowth: 'pow2',
  updateSocketProtocolHook: false,
  sources: [
    'config-6.1.0-54-cloud-amd64 (CONFIG_IP_DCCP=m, CONFIG_IP_SCTP=m, CONFIG_L2TP_IP=m, CONFIG_NET_KEY=m, CONFIG_RDS=m, CONFIG_TIPC=m, CONFIG_AF_KCM=m, CONFIG_SMC=m, CONFIG_CRYPTO_USER_API=m, CONFIG_XDP_SOCKETS=y, CONFIG_VMWARE_VMCI_VSOCKETS=m)',
    'module aliases net-pf-* of the same package',
    'the package changelog (6.1.153-1: alloc_fdtable(): change calling conventions, from 6.1.150)',
  ],
};

/**
 * The same kernel as an installed system sees it: only modules with a `net-pf-*` alias load on
 * demand. Debian strips the aliases of DCCP, RDS and TIPC (a mitigation against local exploits),
 * so those stay absent until loaded by hand.
 */
export function autoloadOf(p: KernelProfile, name: string, description: string): KernelProfile {
  return {
    ...p,
    name,
    description,
    families: p.families.filter((f) => f !== 21 && f !== 30),
    inetsw: { ...p.inetsw, 6: [] },
    inet6sw: { ...p.inet6sw, 6: [] },
    sources: [...p.sources, 'dccp_ipv4.ko, rds.ko and tipc.ko carry no net-pf alias'],
  };
}

export const debian61Autoload: KernelProfile = autoloadOf(debian61, 'debian-6.1-autoload',
  'Debian 12 linux-image-6.1 cloud-amd64, modules autoloaded on demand (no DCCP, RDS, TIPC)');
