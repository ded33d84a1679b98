// The host oracle, as the rest of sockspec imports it: the runner (oracle.ts), executor discovery
// (discovery.ts), the IA32 probe (ia32.ts) and the frame reader (frames.ts), with the codec's and
// the protocol's names the callers have always found here.
// Sources: docs/architecture.md "The oracle".

import { MAX_CALLS } from '../protocol';

export { HostOracle, type ExecutorInfo, type HostOracleOptions } from './oracle';
export { executorAvailable, executorPath } from './discovery';
export { ia32Unavailable } from './ia32';
export { replyFrames } from './frames';
export { ExecutorError } from '../errors';
export {
  classify, encodeEnv, requestFrame, runReplyDecoder, runRequest,
  type CompileRequest, type CompileResult, type KernelResult, type KernelRun, type VmGlobals,
} from '../codec';
export { DEFAULT_TIMEOUT_MS, MAX_FILTER_INSNS, MAX_FILTERS, QUERY_FAKED, QUERY_NOT_RUN } from '../protocol';

/** Most calls one RUN may carry (the executor's static batch size): MAX_CALLS of oracle/protocol.ts. */
export const MAX_BATCH_CALLS = MAX_CALLS;
