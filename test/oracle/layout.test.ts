// The oracle's module layout, as the rest of sockspec relies on it: the names oracle/host has
// always exported keep resolving there, and the VM runner takes its requests and replies from the
// codec, never from the host runner (oracle/host/oracle.ts), which it must not start.
// Sources: oracle/host/index.ts, oracle/codec/index.ts, oracle/vm/runner.ts.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as codec from '../../oracle/codec';
import * as host from '../../oracle/host';
import * as protocol from '../../oracle/protocol';

const ORACLE = path.join(__dirname, '..', '..', 'oracle');

/** The module specifiers a TypeScript file imports (single- and multi-line imports alike). */
function imports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/\bfrom\s+'([^']+)'/g)].map((m) => m[1]);
}

describe('oracle module layout', () => {
  it('oracle/host exports what it always has', () => {
    expect(Object.keys(host).sort()).toEqual([
      'DEFAULT_TIMEOUT_MS', 'ExecutorError', 'HostOracle', 'MAX_BATCH_CALLS', 'MAX_FILTERS', 'MAX_FILTER_INSNS',
      'QUERY_FAKED', 'QUERY_NOT_RUN', 'classify', 'encodeEnv', 'executorAvailable', 'executorPath', 'ia32Unavailable',
      'replyFrames', 'requestFrame', 'runReplyDecoder', 'runRequest',
    ]);
  });

  it('re-exports the protocol limits and the codec rather than copies of them', () => {
    expect(host.MAX_BATCH_CALLS).toBe(protocol.MAX_CALLS);
    expect(host.MAX_FILTERS).toBe(protocol.MAX_FILTERS);
    expect(host.MAX_FILTER_INSNS).toBe(protocol.MAX_FILTER_INSNS);
    expect(host.QUERY_NOT_RUN).toBe(protocol.QUERY_NOT_RUN);
    expect(host.runRequest).toBe(codec.runRequest);
    expect(host.classify).toBe(codec.classify);
  });

  it('the VM runner imports its encoders from the codec, not from the host runner', () => {
    const from = imports(path.join(ORACLE, 'vm', 'runner.ts'));
    expect(from).toContain('../codec');
    expect(from.filter((m) => m === '../host' || m === '../host/index' || m === '../host/oracle')).toEqual([]);
  });

  it('the codec does not depend on the host runner', () => {
    const dir = path.join(ORACLE, 'codec');
    const bad = fs.readdirSync(dir).flatMap((f) => imports(path.join(dir, f)).filter((m) => m.includes('/host')).map((m) => `${f}: ${m}`));
    expect(bad).toEqual([]);
  });
});
