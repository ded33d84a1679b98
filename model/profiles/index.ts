// The kernel profile registry. Adding a profile is one file plus one line here.
// Source: docs/architecture.md "The model" (profiles as data).

import type { KernelProfile } from '../profile';
import { allFamilies } from './all-families';
import { debian61, debian61Autoload } from './debian-6.1';
import { debian612, debian612Autoload } from './debian-6.12';
import { reference618 } from './reference-6.18';

export const PROFILES: readonly KernelProfile[] = [reference618, debian61, debian61Autoload, debian612, debian612Autoload, allFamilies];

/** The profile named `name`, or undefined. */
export function profileByName(name: string): KernelProfile | undefined {
  return PROFILES.find((p) => p.name === name);
}

export { allFamilies, debian61, debian61Autoload, debian612, debian612Autoload, reference618 };
