// The public surface of the reference model of Linux socket(2).
// Sources: see each module's header.

export * from './constants';
export * from './types';
export * from './registers';
export * from './creds';
export * from './fdtable';
export * from './clause';
export * from './clauses';
export * from './evaluate';
export * from './state';
export * from './syscall';
export * from './sequence';
export { SOCKETCALL_ROWS } from './socketcall';
export type { FdtableGrowth, KernelProfile } from './profile';
export { PROFILES, profileByName, reference618, debian61, debian61Autoload, debian612, debian612Autoload, allFamilies } from './profiles';
export { FAMILY_TABLES, familyTable } from './families';
export * from './names';
