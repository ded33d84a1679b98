// The family registry: family number → its ->create table. Adding a family is one file plus one
// line here; whether a kernel has it is the profile's business.
// Source: net/socket.c (sock_register, net_families[]).

import type { FamilyTable } from '../clause';
import { algTable } from './alg';
import { bluetoothTable } from './bluetooth';
import { canTable } from './can';
import { inet6Table, inetTable } from './inet';
import { keyTable } from './key';
import { netlinkTable } from './netlink';
import { packetTable } from './packet';
import { kcmTable, mctpTable, qipcrtrTable, rdsTable, smcTable, tipcTable } from './small';
import { unixTable } from './unix';
import { vsockTable } from './vsock';
import { xdpTable } from './xdp';

export const FAMILY_TABLES: readonly FamilyTable[] = [
  unixTable,
  inetTable,
  inet6Table,
  keyTable,
  netlinkTable,
  packetTable,
  rdsTable,
  canTable,
  tipcTable,
  bluetoothTable,
  algTable,
  vsockTable,
  kcmTable,
  qipcrtrTable,
  smcTable,
  xdpTable,
  mctpTable,
];

const BY_NUMBER: ReadonlyArray<FamilyTable | undefined> = (() => {
  const a: (FamilyTable | undefined)[] = [];
  for (const t of FAMILY_TABLES) a[t.family] = t;
  return a;
})();

/** The ->create table for a family number, if the model knows the family. */
export function familyTable(family: number): FamilyTable | undefined {
  return family >= 0 ? BY_NUMBER[family] : undefined;
}
