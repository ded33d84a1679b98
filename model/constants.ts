// Numeric constants of the socket(2) contract on x86_64, as the kernel headers define them.
// Sources: include/linux/socket.h (AF_*), include/linux/net.h (SOCK_*), include/uapi/linux/in.h
// (IPPROTO_*), include/uapi/linux/netlink.h, include/uapi/linux/capability.h,
// include/uapi/asm-generic/errno-base.h and errno.h.

/** Address families by number; index = value. `AF_MAX` (= NPROTO) is 46 in 6.1 and 6.18. */
export const AF_NAMES: readonly string[] = [
  'AF_UNSPEC', 'AF_UNIX', 'AF_INET', 'AF_AX25', 'AF_IPX', 'AF_APPLETALK', 'AF_NETROM', 'AF_BRIDGE',
  'AF_ATMPVC', 'AF_X25', 'AF_INET6', 'AF_ROSE', 'AF_DECnet', 'AF_NETBEUI', 'AF_SECURITY', 'AF_KEY',
  'AF_NETLINK', 'AF_PACKET', 'AF_ASH', 'AF_ECONET', 'AF_ATMSVC', 'AF_RDS', 'AF_SNA', 'AF_IRDA',
  'AF_PPPOX', 'AF_WANPIPE', 'AF_LLC', 'AF_IB', 'AF_MPLS', 'AF_CAN', 'AF_TIPC', 'AF_BLUETOOTH',
  'AF_IUCV', 'AF_RXRPC', 'AF_ISDN', 'AF_PHONET', 'AF_IEEE802154', 'AF_CAIF', 'AF_ALG', 'AF_NFC',
  'AF_VSOCK', 'AF_KCM', 'AF_QIPCRTR', 'AF_SMC', 'AF_XDP', 'AF_MCTP',
];

export const AF = {
  UNSPEC: 0, UNIX: 1, INET: 2, INET6: 10, KEY: 15, NETLINK: 16, PACKET: 17, RDS: 21, CAN: 29,
  TIPC: 30, BLUETOOTH: 31, ALG: 38, VSOCK: 40, KCM: 41, QIPCRTR: 42, SMC: 43, XDP: 44, MCTP: 45,
} as const;

/** `NPROTO` = `AF_MAX`: the first family number `__sock_create` rejects. */
export const NPROTO = 46;

export const SOCK = { STREAM: 1, DGRAM: 2, RAW: 3, RDM: 4, SEQPACKET: 5, DCCP: 6, PACKET: 10 } as const;
export const SOCK_TYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'SOCK_STREAM', 2: 'SOCK_DGRAM', 3: 'SOCK_RAW', 4: 'SOCK_RDM', 5: 'SOCK_SEQPACKET',
  6: 'SOCK_DCCP', 10: 'SOCK_PACKET',
};
/** `SOCK_MAX` = `SOCK_PACKET + 1`. */
export const SOCK_MAX = 11;
export const SOCK_TYPE_MASK = 0xf;
export const SOCK_CLOEXEC = 0x80000;
export const SOCK_NONBLOCK = 0x800;
/** The only bits of `type` that survive the flag check at G1. */
export const SOCK_VALID_BITS = SOCK_TYPE_MASK | SOCK_CLOEXEC | SOCK_NONBLOCK;

export const O_RDWR = 2;
export const O_NONBLOCK = 0x800;
export const FD_CLOEXEC = 1;

/** `IPPROTO_MAX`: protocols at or above it are EINVAL for inet. */
export const IPPROTO_MAX = 263;
export const IPPROTO: Readonly<Record<string, number>> = {
  IPPROTO_IP: 0, IPPROTO_ICMP: 1, IPPROTO_IGMP: 2, IPPROTO_IPIP: 4, IPPROTO_TCP: 6, IPPROTO_EGP: 8,
  IPPROTO_PUP: 12, IPPROTO_UDP: 17, IPPROTO_IDP: 22, IPPROTO_TP: 29, IPPROTO_DCCP: 33,
  IPPROTO_IPV6: 41, IPPROTO_RSVP: 46, IPPROTO_GRE: 47, IPPROTO_ESP: 50, IPPROTO_AH: 51,
  IPPROTO_ICMPV6: 58, IPPROTO_MTP: 92, IPPROTO_BEETPH: 94, IPPROTO_ENCAP: 98, IPPROTO_PIM: 103,
  IPPROTO_COMP: 108, IPPROTO_L2TP: 115, IPPROTO_SCTP: 132, IPPROTO_UDPLITE: 136, IPPROTO_MPLS: 137,
  IPPROTO_ETHERNET: 143, IPPROTO_RAW: 255, IPPROTO_SMC: 256, IPPROTO_MPTCP: 262,
};

/** Netlink protocols by number (`MAX_LINKS` = 32). */
export const MAX_LINKS = 32;
export const NETLINK: Readonly<Record<string, number>> = {
  NETLINK_ROUTE: 0, NETLINK_UNUSED: 1, NETLINK_USERSOCK: 2, NETLINK_FIREWALL: 3,
  NETLINK_SOCK_DIAG: 4, NETLINK_NFLOG: 5, NETLINK_XFRM: 6, NETLINK_SELINUX: 7, NETLINK_ISCSI: 8,
  NETLINK_AUDIT: 9, NETLINK_FIB_LOOKUP: 10, NETLINK_CONNECTOR: 11, NETLINK_NETFILTER: 12,
  NETLINK_IP6_FW: 13, NETLINK_DNRTMSG: 14, NETLINK_KOBJECT_UEVENT: 15, NETLINK_GENERIC: 16,
  NETLINK_SCSITRANSPORT: 18, NETLINK_ECRYPTFS: 19, NETLINK_RDMA: 20, NETLINK_CRYPTO: 21,
  NETLINK_SMC: 22,
};

/** Per-family protocol numbers that name something (for generators and printing). */
export const FAMILY_PROTOCOLS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  AF_UNIX: { 0: 0, PF_UNIX: 1 } as Record<string, number>,
  AF_VSOCK: { PF_VSOCK: 40 },
  AF_KEY: { PF_KEY_V2: 2 },
  AF_CAN: { CAN_RAW: 1, CAN_BCM: 2, CAN_TP16: 3, CAN_TP20: 4, CAN_MCNET: 5, CAN_ISOTP: 6, CAN_J1939: 7 },
  AF_BLUETOOTH: {
    BTPROTO_L2CAP: 0, BTPROTO_HCI: 1, BTPROTO_SCO: 2, BTPROTO_RFCOMM: 3, BTPROTO_BNEP: 4,
    BTPROTO_CMTP: 5, BTPROTO_HIDP: 6, BTPROTO_AVDTP: 7, BTPROTO_ISO: 8,
  },
  AF_SMC: { SMCPROTO_SMC: 0, SMCPROTO_SMC6: 1 },
  AF_PACKET: { 'htons(ETH_P_ALL)': 0x0300, 'htons(ETH_P_IP)': 0x0008, 'htons(ETH_P_ARP)': 0x0608 },
};
export const CAN_NPROTO = 8;
export const BT_MAX_PROTO = 9;

/** Capabilities by number (`CAP_LAST_CAP` = 40). */
export const CAP_NAMES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];
export const CAP = { NET_ADMIN: 12, NET_RAW: 13, SYS_ADMIN: 21, AUDIT_WRITE: 29 } as const;
export const CAP_LAST_CAP = 40;

/** x86_64 errno names by number; index = value (41 and 58 are aliases and have no own name). */
export const ERRNO_NAMES: readonly string[] = [
  '', 'EPERM', 'ENOENT', 'ESRCH', 'EINTR', 'EIO', 'ENXIO', 'E2BIG', 'ENOEXEC', 'EBADF', 'ECHILD',
  'EAGAIN', 'ENOMEM', 'EACCES', 'EFAULT', 'ENOTBLK', 'EBUSY', 'EEXIST', 'EXDEV', 'ENODEV',
  'ENOTDIR', 'EISDIR', 'EINVAL', 'ENFILE', 'EMFILE', 'ENOTTY', 'ETXTBSY', 'EFBIG', 'ENOSPC',
  'ESPIPE', 'EROFS', 'EMLINK', 'EPIPE', 'EDOM', 'ERANGE', 'EDEADLK', 'ENAMETOOLONG', 'ENOLCK',
  'ENOSYS', 'ENOTEMPTY', 'ELOOP', '', 'ENOMSG', 'EIDRM', 'ECHRNG', 'EL2NSYNC', 'EL3HLT',
  'EL3RST', 'ELNRNG', 'EUNATCH', 'ENOCSI', 'EL2HLT', 'EBADE', 'EBADR', 'EXFULL', 'ENOANO',
  'EBADRQC', 'EBADSLT', '', 'EBFONT', 'ENOSTR', 'ENODATA', 'ETIME', 'ENOSR', 'ENONET', 'ENOPKG',
  'EREMOTE', 'ENOLINK', 'EADV', 'ESRMNT', 'ECOMM', 'EPROTO', 'EMULTIHOP', 'EDOTDOT', 'EBADMSG',
  'EOVERFLOW', 'ENOTUNIQ', 'EBADFD', 'EREMCHG', 'ELIBACC', 'ELIBBAD', 'ELIBSCN', 'ELIBMAX',
  'ELIBEXEC', 'EILSEQ', 'ERESTART', 'ESTRPIPE', 'EUSERS', 'ENOTSOCK', 'EDESTADDRREQ',
  'EMSGSIZE', 'EPROTOTYPE', 'ENOPROTOOPT', 'EPROTONOSUPPORT', 'ESOCKTNOSUPPORT', 'EOPNOTSUPP',
  'EPFNOSUPPORT', 'EAFNOSUPPORT', 'EADDRINUSE', 'EADDRNOTAVAIL', 'ENETDOWN', 'ENETUNREACH',
  'ENETRESET', 'ECONNABORTED', 'ECONNRESET', 'ENOBUFS', 'EISCONN', 'ENOTCONN', 'ESHUTDOWN',
  'ETOOMANYREFS', 'ETIMEDOUT', 'ECONNREFUSED', 'EHOSTDOWN', 'EHOSTUNREACH', 'EALREADY',
  'EINPROGRESS', 'ESTALE', 'EUCLEAN', 'ENOTNAM', 'ENAVAIL', 'EISNAM', 'EREMOTEIO', 'EDQUOT',
  'ENOMEDIUM', 'EMEDIUMTYPE', 'ECANCELED', 'ENOKEY', 'EKEYEXPIRED', 'EKEYREVOKED',
  'EKEYREJECTED', 'EOWNERDEAD', 'ENOTRECOVERABLE', 'ERFKILL', 'EHWPOISON',
];

/** Errno number → name, or `E#<n>` for values without a name (seccomp can return any 1..4095). */
export function errnoName(n: number): string {
  const name = n > 0 && n < ERRNO_NAMES.length ? ERRNO_NAMES[n] : '';
  return name === '' ? `E#${n}` : name;
}

const ERRNO_BY_NAME: ReadonlyMap<string, number> = new Map(
  ERRNO_NAMES.map((name, i) => [name, i] as [string, number]).filter(([name]) => name !== ''),
);

/** Errno name → number; accepts the `E#<n>` form; undefined for unknown names. */
export function errnoNumber(name: string): number | undefined {
  if (name.startsWith('E#')) {
    const n = Number(name.slice(2));
    return Number.isInteger(n) && n > 0 && n <= 4095 ? n : undefined;
  }
  return ERRNO_BY_NAME.get(name);
}

export const INT32_MIN = -0x80000000;
export const INT32_MAX = 0x7fffffff;
