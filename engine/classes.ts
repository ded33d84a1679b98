// Environment classes built from the shipped seccomp presets, beside the bounded space's own
// (generators/space.ts): root with every capability and one preset's filters.
// Sources: oracle/presets/ (the presets), docs/seccomp.md §8.

import { defaultEnv, type KernelProfile } from '../model';
import type { EnvClass } from '../generators/space';
import { loadPreset, presetFilters, presetNames } from '../oracle/oci';

/** One environment class for each shipped seccomp preset (root, every capability, the preset's filters). */
export function presetClasses(): EnvClass[] {
  return presetNames().map((name) => ({
    id: `preset-${name}`,
    description: loadPreset(name).description,
    calls: 'seccomp' as const,
    env: (p: KernelProfile) => ({ ...defaultEnv({ profile: p }), seccomp: presetFilters(name) }),
  }));
}
