// The executor protocol's codec: fixed-layout records (records.ts), the requests an Env, a batch,
// a policy or a loop becomes (requests.ts), and the replies decoded as the model's outcomes
// (replies.ts). The host runner (oracle/host/) and the VM runner (oracle/vm/runner.ts) both use it.
// Sources: oracle/protocol.ts.

export { decodeRecord, encodeRecord, fieldSize, packRecords, recordSize, unpackRecords, type RecordValue } from './records';
export {
  compileRequest, encodeEnv, loopRequest, raceRequest, requestFrame, runRequest, u32, type CompileRequest, type RaceMode,
  type VmGlobals,
} from './requests';
export {
  classify, decodeCompiled, decodeLoopReply, decodeRaceReply, errorText, runReplyDecoder, signalName,
  type CompileResult, type KernelResult, type KernelRun, type RaceReply,
} from './replies';
