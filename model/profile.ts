// A kernel profile: what a kernel was built with, as data. Which families are registered, the
// inetsw/inetsw6 lists, netlink protocols, vsock transports, CAN and Bluetooth protocols. The
// logic stays in the family tables; a profile only answers "is it there?".
// Sources: net/socket.c (net_families), net/ipv4/af_inet.c (inet_register_protosw),
// net/netlink/af_netlink.c (nl_table), net/vmw_vsock/af_vsock.c (vsock_core_register).

/** How a kernel sizes a grown fd table (`alloc_fdtable` in fs/file.c). */
export type FdtableGrowth = 'pow2' | 'kib-chunks';

/** @example reference618.families.includes(AF.UNIX) */
export interface KernelProfile {
  readonly name: string;
  readonly description: string;
  /** Kernel version the profile describes, "6.18". */
  readonly version: string;
  /** Registered family numbers (`net_families[]`). Any other family in [0, 46) is EAFNOSUPPORT. */
  readonly families: readonly number[];
  /**
   * `inetsw[type]` for AF_INET: protocols in list order, 0 meaning the raw wildcard entry. Types
   * that are absent have an empty list. Order matters only for protocol 0, which takes the first.
   */
  readonly inetsw: Readonly<Record<number, readonly number[]>>;
  /** `inetsw6[type]` for AF_INET6, the same shape. */
  readonly inet6sw: Readonly<Record<number, readonly number[]>>;
  /** Netlink protocols with `nl_table[p].registered`. */
  readonly netlink: readonly number[];
  /** Whether a vsock transport with VSOCK_TRANSPORT_F_DGRAM (vmci) is registered. */
  readonly vsockDgramTransport: boolean;
  /** Registered CAN protocols and the socket type each requires (`can_proto->type`). */
  readonly can: Readonly<Record<number, number>>;
  /** Registered Bluetooth protocols (`bt_proto[]`). */
  readonly bluetooth: readonly number[];
  /**
   * How `alloc_fdtable` sizes a grown fd table: `pow2` since "alloc_fdtable(): change calling
   * conventions" (mainline; stable 6.1.150 and 5.15.191; Debian 6.12.43-1), `kib-chunks` before.
   */
  readonly fdtableGrowth: FdtableGrowth;
  /** Whether `update_socket_protocol` (the 6.6+ BPF fmod_ret hook) exists. No program is attached. */
  readonly updateSocketProtocolHook: boolean;
  /** Where the facts came from. */
  readonly sources: readonly string[];
}

// Which families a profile registers, as a bitmap built once per profile (profiles are immutable),
// with the last profile asked kept at hand: a campaign or check asks about one profile at a time.
const REGISTERED = new WeakMap<KernelProfile, Uint8Array>();
let lastProfile: KernelProfile | undefined;
let lastRegistered: Uint8Array = new Uint8Array(0);

/** Whether `family` is in `profile.families` (`net_families[family]` is set). */
export function familyRegistered(profile: KernelProfile, family: number): boolean {
  if (profile !== lastProfile) {
    let set = REGISTERED.get(profile);
    if (set === undefined) {
      set = new Uint8Array(Math.max(0, ...profile.families) + 1);
      for (const f of profile.families) if (f >= 0) set[f] = 1;
      REGISTERED.set(profile, set);
    }
    lastProfile = profile;
    lastRegistered = set;
  }
  return family >= 0 && family < lastRegistered.length && lastRegistered[family] === 1;
}
