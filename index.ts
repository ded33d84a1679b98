// The sockspec package: what another project's tests import. The reference model (evaluate a
// call, explain its decision), the eval contract, the fast-check arbitraries, the property
// registry and its runners, the real-kernel oracles (the host through the executor, any image in
// QEMU) with the comparator, and the engines (check, diff, campaign, spec check).
// Sources: docs/architecture.md ("The package").
//
// @example
//   import fc from 'fast-check';
//   import { callArb, envArb, evaluate, PROPERTIES, runProperty } from 'sockspec';
//   const p = PROPERTIES.find((x) => x.id === 'P-FD-SEQUENCES');
//   expect(runProperty(p, { seed: 1, numRuns: 1000 }).failed).toBe(false);

// The model: vocabulary, decisions, clauses, profiles, names.
export * from './model';
export { explain, parseCallText } from './contract/explain';

// The eval contract and the errors every layer reports.
export {
  ContractError, ERROR_CODES, SockspecError, envToContract, parseCall, parseEnv, parseJsonLine, parseProfileFile,
  parseRequest, registerProfile, requestLine, resolveProfile, resultObject,
  type ErrorCode, type PresetResolver, type Request,
} from './contract';

// Arbitraries.
export * from './generators';
export { ENV_CLASSES, VM_CLASSES, classCalls, type EnvClass } from './generators/space';

// Properties.
export {
  Coverage, DIFFERENTIAL_ID, DIFFERENTIAL_PROPERTY, Disagreement, EXPLORE_ID, EXPLORE_PROPERTY, PROPERTIES, defaultContext,
  envClassOf, replayCommand, runProperty, runPropertyAsync, selectProperties,
  type PropertyContext, type PropertyDef, type PropertyKind, type PropertyResult, type ReplayTarget, type RunOptions,
} from './properties';

// Oracles and the comparator.
export { HostOracle, executorAvailable, ia32Unavailable, type KernelResult, type KernelRun } from './oracle/host';
export { observe, observeOnHost } from './oracle/observe';
export { compareOutcomes, describeMismatch, shortResult, type Mismatch, type Observation } from './oracle/compare';
export { probeHostProfile, probeProfile } from './oracle/probe';
export { loadPreset, presetFilters, presetNames } from './oracle/oci';
export { KERNEL_NAMES, cachedKernel, fetchKernel, type KernelImage } from './oracle/kernels';
export { VmOracle, VmFailure, type ModuleMode, type VmKernel, type VmOptions } from './oracle/vm/runner';

// Engines.
export { runCheck, selectClasses, type CheckOptions, type CheckSummary, type KernelBatch } from './engine/check';
export { classGroups, corpusGroups, diffClasses, perGroupSide, runDiff, tupleGroups, type DiffGroup, type DiffSide, type DiffSummary, type Difference } from './engine/diff';
export { runCampaign, type CampaignOptions, type CampaignProgress, type CampaignSummary, type Finding } from './engine/campaign/campaign';
export { specCheck, type SpecCheckEntry, type SpecCheckSummary } from './engine/spec-check';
export { presetClasses } from './engine/classes';
export { reproSource } from './repro/c-source';
