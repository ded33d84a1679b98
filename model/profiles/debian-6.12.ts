// Debian's 6.12 LTS cloud-amd64 kernel (bookworm-security) with every socket-family module loaded
// before the calls, as debian-6.1. What changed for socket() since 6.1, found by `sockspec diff`
// between the two kernels in QEMU and read in the source: SMC also answers (AF_INET|AF_INET6,
// SOCK_STREAM, IPPROTO_SMC = 256) through an inetsw entry (net/smc/smc_inet.c, "net/smc:
// Introduce IPPROTO_SMC", v6.11); alloc_fdtable sizes a grown table to a power of two (v6.12); the
// update_socket_protocol hook exists (v6.6). Sources: net/smc/smc_inet.c (smc_inet_init),
// fs/file.c (alloc_fdtable), net/socket.c (update_socket_protocol).

import type { KernelProfile } from '../profile';
import { autoloadOf, debian61 } from './debian-6.1';

const IPPROTO_SMC = 256;

export const debian612: KernelProfile = {
  ...debian61,
  name: 'debian-6.12',
  description: 'Debian 12 linux-image-6.12 cloud-amd64 (bookworm-security), every socket-family module loaded',
  version: '6.12',
  inetsw: { ...debian61.inetsw, 1: [...(debian61.inetsw[1] ?? []), IPPROTO_SMC] },
  inet6sw: { ...debian61.inet6sw, 1: [...(debian61.inet6sw[1] ?? []), IPPROTO_SMC] },
  fdtableGrowth: 'pow2',
  updateSocketProtocolHook: true,
  sources: [
    'config-6.12.117+deb12-cloud-amd64 (the socket-family options of debian-6.1, unchanged: CONFIG_IP_DCCP=m, CONFIG_SMC=m, CONFIG_XDP_SOCKETS=y, CONFIG_MPTCP=y, …)',
    'sockspec diff --a debian-6.1 --b debian-6.12 (root and no-caps classes: only IPPROTO_SMC differs)',
  ],
};

/** The same kernel with modules autoloaded on demand: Debian strips the aliases of DCCP, RDS and TIPC here too. */
export const debian612Autoload: KernelProfile = autoloadOf(debian612, 'debian-6.12-autoload',
  'Debian 12 linux-image-6.12 cloud-amd64, modules autoloaded on demand (no DCCP, RDS, TIPC)');
