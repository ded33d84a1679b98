// The VM oracle against the host oracle, side by side in one run: the same calls in the same
// environment (the root class of the bounded space, every family), on the running kernel through
// the host executor and on Debian's 6.1 kernel booted in QEMU (TCG), with the replies over the
// second UART (the default) and over isa-debugcon. Rounds alternate host and VM so both see the
// same machine load. Boot to results is a boot with one call.
// Sources: oracle/vm/runner.ts, oracle/host/, docs/vm-oracle.md §4.

import { spawnSync } from 'node:child_process';
import { debian61, type Call } from '../model';
import { classCalls, ENV_CLASSES } from '../generators/space';
import { executorAvailable, HostOracle, MAX_BATCH_CALLS } from '../oracle/host';
import { fetchKernel } from '../oracle/kernels';
import { VmOracle } from '../oracle/vm/runner';
import type { Figure } from './report';

/** Why the VM figures cannot be taken here, or '' when they can. */
export function vmBenchUnavailable(): string {
  if (!executorAvailable()) return 'the executor needs root and a build';
  if (spawnSync('sh', ['-c', 'command -v qemu-system-x86_64']).status !== 0) return 'no qemu-system-x86_64 (apt-get install qemu-system-x86)';
  return '';
}

const seconds = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;

/** Adds the `vm oracle` figures and a note with the boot times; `calls` points per round. */
export async function vmFigures(figs: Figure[], notes: string[], opts: { calls: number; rounds: number }): Promise<void> {
  const why = vmBenchUnavailable();
  if (why !== '') {
    notes.push(`vm oracle figures skipped: ${why}`);
    return;
  }
  const kernel = fetchKernel('debian-6.1');
  const vmKernel = { image: kernel.vmlinuz, modules: kernel.modules ?? undefined };
  const serial = new VmOracle({ kernel: vmKernel, moduleMode: 'preload' });
  const debugcon = new VmOracle({ kernel: vmKernel, moduleMode: 'preload', replies: 'debugcon' });
  const root = ENV_CLASSES.find((c) => c.id === 'root');
  if (root === undefined) throw new Error('no root class');
  const env = root.env(debian61);
  // A stride through the class, so that every family (and its module) is in the sample.
  const all = [...classCalls(root)];
  const stride = Math.max(1, Math.floor(all.length / opts.calls));
  const calls: Call[] = all.filter((_, i) => i % stride === 0).slice(0, opts.calls);
  const one: Call[] = [{ a0: 1n, a1: 1n, a2: 0n }];
  const host = await HostOracle.start();
  const best = { host: 0, serial: 0, debugcon: 0, inGuest: 0, boot: Infinity, bootFull: Infinity };
  try {
    for (let round = 0; round < opts.rounds; round++) {
      let t0 = process.hrtime.bigint();
      for (let i = 0; i < calls.length; i += MAX_BATCH_CALLS) await host.run(env, calls.slice(i, i + MAX_BATCH_CALLS));
      best.host = Math.max(best.host, calls.length / seconds(t0));
      t0 = process.hrtime.bigint();
      await serial.observe(env, one);
      const boot = seconds(t0);
      best.boot = Math.min(best.boot, boot);
      t0 = process.hrtime.bigint();
      await serial.observe(env, calls);
      const full = seconds(t0);
      best.bootFull = Math.min(best.bootFull, full);
      best.serial = Math.max(best.serial, calls.length / full);
      best.inGuest = Math.max(best.inGuest, calls.length / Math.max(1e-3, full - boot));
      t0 = process.hrtime.bigint();
      await debugcon.observe(env, calls);
      best.debugcon = Math.max(best.debugcon, calls.length / seconds(t0));
    }
  } finally {
    await host.close();
  }
  const n = calls.length.toLocaleString('en');
  figs.push({ suite: 'vm oracle', name: `host oracle, ${n} calls of the root class (running kernel)`, unit: 'call', perSecond: best.host, baseline: true });
  figs.push({ suite: 'vm oracle', name: `Debian 6.1 in QEMU (TCG), the same calls, boot included, replies on ttyS1`, unit: 'call', perSecond: best.serial, ratioTo: best.host });
  figs.push({ suite: 'vm oracle', name: 'Debian 6.1 in QEMU, the same, boot time taken off', unit: 'call', perSecond: best.inGuest, ratioTo: best.host });
  figs.push({ suite: 'vm oracle', name: 'Debian 6.1 in QEMU, the same, boot included, replies on isa-debugcon', unit: 'call', perSecond: best.debugcon, ratioTo: best.host });
  notes.push(`vm oracle: boot to results (Debian ${kernel.release}, preload, one call) ${best.boot.toFixed(2)} s; with ${n} calls ${best.bootFull.toFixed(2)} s; best of ${opts.rounds} rounds, host and VM alternating`);
}
