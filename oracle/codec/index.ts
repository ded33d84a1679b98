// The executor protocol's codec: fixed-layout records (records.ts), the requests an Env, a batch,
// a policy or a loop becomes (requests.ts), and the replies decoded as the model's outcomes
// (replies.ts). The host runner (oracle/host/) and the VM runner (oracle/vm/runner.ts) both use it.
// Sources: oracle/protocol.ts.

export { decodeRecord, encodeRecord, fieldSize, packRecords, recordSize, unpackRecords, type RecordValue } from './records';
export {
  compileRequest, encodeEnv, loopRequest, raceRequest, requestFrame, runRequest, sequenceRequest, u32, type CompileRequest, type RaceMode,
  type VmGlobals,
} from './requests';
export {
  classify, classifyPair, decodeCompiled, decodeLoopReply, decodeRaceReply, decodeSnapshots, errorText, runReplyDecoder, sequenceReplyDecoder,
  signalName, type CompileResult, type KernelFd, type KernelResult, type KernelRun, type RaceReply, type SequenceRun, type SequenceStepResult,
} from './replies';
