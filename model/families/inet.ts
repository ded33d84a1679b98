// AF_INET and AF_INET6 ->create: protocol range (EINVAL) before the inetsw lookup with its wildcard
// rules, the raw CAP_NET_RAW check after the lookup, then the protocol's init: ping's
// ping_group_range (EACCES, no capability overrides it) and MPTCP's net.mptcp.enabled (ENOPROTOOPT).
// Sources: net/ipv4/af_inet.c (inet_create), net/ipv6/af_inet6.c (inet6_create),
// net/ipv4/ping.c (ping_init_sock), net/mptcp/protocol.c (mptcp_init_sock); docs/kernel.md §5.2-5.3.

import { check, type CreateCtx, type FamilyTable } from '../clause';
import { AF, CAP, IPPROTO_MAX, SOCK } from '../constants';
import { gidInRange, nsCapableNet } from '../creds';
import type { KernelProfile } from '../profile';

const IPPROTO_ICMP = 1;
const IPPROTO_ICMPV6 = 58;
const IPPROTO_MPTCP = 262;

type Lists = (p: KernelProfile) => Readonly<Record<number, readonly number[]>>;

/**
 * The `lookup_protocol:` loop. Returns the resolved protocol, or -1 for no match. A list entry
 * matches an equal protocol unless both are 0; protocol 0 takes the first entry; an entry of 0
 * (raw) matches any non-zero protocol.
 */
export function inetLookup(list: readonly number[], protocol: number): number {
  for (const entry of list) {
    if (protocol === entry) {
      if (protocol !== 0) return protocol;
    } else if (protocol === 0) {
      return entry;
    } else if (entry === 0) {
      return protocol;
    }
  }
  return -1;
}

function inetFamily(family: number, name: string, create: string, lists: Lists, pingProto: number): FamilyTable {
  const p = name === 'AF_INET' ? 'inet' : 'inet6';
  const listOf = (c: CreateCtx): readonly number[] => lists(c.env.profile)[c.type] ?? [];
  return {
    family,
    name,
    create,
    rows: [
      check(`${p}-proto-range`, ['protocol'], 'EINVAL', 'protocol < 0 or protocol >= IPPROTO_MAX (263)', create,
        (c) => c.protocol < 0 || c.protocol >= IPPROTO_MAX),
      check(`${p}-type`, ['type', 'profile'], 'ESOCKTNOSUPPORT', 'no protocol is registered for this type (empty inetsw list)', create,
        (c) => listOf(c).length === 0),
      check(`${p}-proto`, ['type', 'protocol', 'profile'], 'EPROTONOSUPPORT',
        'no inetsw entry matches: protocol not registered for the type, or SOCK_RAW with protocol 0', create,
        (c) => {
          const resolved = inetLookup(listOf(c), c.protocol);
          if (resolved < 0) return true;
          c.protocol = resolved;
          c.soprotocol = resolved;
          return false;
        }),
      check(`${p}-raw-cap`, ['type', 'caps', 'namespaces'], 'EPERM', 'SOCK_RAW without CAP_NET_RAW in the netns owner (ns_capable)', create,
        (c) => c.type === SOCK.RAW && !nsCapableNet(c.env.creds, CAP.NET_RAW)),
      check(`${p}-ping-group`, ['type', 'protocol', 'gids', 'ping'], 'EACCES',
        'ping socket and neither the egid nor a supplementary gid is in net.ipv4.ping_group_range',
        'net/ipv4/ping.c:ping_init_sock',
        (c) => c.type === SOCK.DGRAM && c.protocol === pingProto && !gidInRange(c.env.creds, c.env.pingGroupRange)),
      // Only the MPTCP protosw entry runs mptcp_init_sock: SOCK_RAW with protocol 262 matches the
      // raw wildcard entry and succeeds whatever net.mptcp.enabled says (found by the oracle).
      check(`${p}-mptcp-disabled`, ['type', 'protocol', 'profile', 'mptcp'], 'ENOPROTOOPT',
        'the MPTCP entry of inetsw (SOCK_STREAM, IPPROTO_MPTCP) while net.mptcp.enabled = 0',
        'net/mptcp/protocol.c:mptcp_init_sock',
        (c) => c.protocol === IPPROTO_MPTCP && listOf(c).includes(IPPROTO_MPTCP) && !c.env.mptcpEnabled),
    ],
  };
}

export const inetTable = inetFamily(AF.INET, 'AF_INET', 'net/ipv4/af_inet.c:inet_create', (p) => p.inetsw, IPPROTO_ICMP);
export const inet6Table = inetFamily(AF.INET6, 'AF_INET6', 'net/ipv6/af_inet6.c:inet6_create', (p) => p.inet6sw, IPPROTO_ICMPV6);
