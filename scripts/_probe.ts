import { HostOracle } from '../oracle/host';
import { probeHostProfile } from '../oracle/probe';
import { runCheck, formatCheck } from '../cli/check';
import { observeOnHost } from '../oracle/observe';
(async () => {
  const o = await HostOracle.start();
  console.log(o.info);
  const t0 = Date.now();
  const p = await probeHostProfile(o);
  console.log(JSON.stringify(p), Date.now() - t0, 'ms');
  const s = await runCheck({ profile: p, classes: process.argv.slice(2), kernel: (e, c) => observeOnHost(o, e, c), now: Date.now, batchSize: 8192 });
  console.log(formatCheck(s).slice(0, 60).join('\n'));
  await o.close();
})().catch((e) => { console.error(e); process.exit(1); });
