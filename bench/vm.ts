// The VM oracle against the host oracle, side by side in one run: the same calls in the same
// environment (the root class of the bounded space, every family), on the running kernel through
// the host executor and on Debian's 6.1 kernel booted in QEMU (TCG), with the replies over the
// second UART (the default) and over isa-debugcon. Rounds alternate host and VM so both see the
// same machine load. Boot to results is a boot with one call. Then the kept-up guest
// (oracle/vm/guest.ts): the same calls through its mailbox, and a campaign's differential on
// Debian 6.12 beside the same campaign on the host, in alternating rounds of equal time.
// Sources: oracle/vm/runner.ts, oracle/vm/guest.ts, oracle/host/, docs/vm-oracle.md §4 and §9.

import { spawnSync } from 'node:child_process';
import { debian61, debian612, type Call } from '../model';
import { runCampaign } from '../engine/campaign/campaign';
import { probeHostProfile } from '../oracle/probe';
import { GuestOracle } from '../oracle/vm/guest';
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

/**
 * The kept-up guest's figures: the root-class calls through its mailbox (batches of 4,096) beside
 * the host oracle, and the differential campaign (P-MODEL-EQ-KERNEL alone, time budgets of
 * `seconds`) on Debian 6.12 in QEMU beside the same on the host, rounds alternating; calls per
 * second of campaign time, the guest's boot excluded (it happens once per campaign).
 */
export async function guestFigures(figs: Figure[], notes: string[], opts: { calls: number; rounds: number; seconds: number }): Promise<void> {
  const why = vmBenchUnavailable();
  if (why !== '') {
    notes.push(`kept-up guest figures skipped: ${why}`);
    return;
  }
  const kernel = fetchKernel('debian-6.12');
  const t0 = process.hrtime.bigint();
  const guest = await GuestOracle.start({ kernel: { image: kernel.vmlinuz, modules: kernel.modules ?? undefined } });
  const boot = seconds(t0);
  const host = await HostOracle.start();
  const best = { host: 0, guest: 0, hostCampaign: 0, vmCampaign: 0 };
  const rates = { host: [] as number[], vm: [] as number[] };
  try {
    const root = ENV_CLASSES.find((c) => c.id === 'root');
    if (root === undefined) throw new Error('no root class');
    const all = [...classCalls(root)];
    const stride = Math.max(1, Math.floor(all.length / opts.calls));
    const calls: Call[] = all.filter((_, i) => i % stride === 0).slice(0, opts.calls);
    const hostProfile = await probeHostProfile(host);
    for (let round = 0; round < opts.rounds; round++) {
      let t = process.hrtime.bigint();
      for (let i = 0; i < calls.length; i += 4096) await host.run(root.env(debian612), calls.slice(i, i + 4096));
      best.host = Math.max(best.host, calls.length / seconds(t));
      t = process.hrtime.bigint();
      for (let i = 0; i < calls.length; i += 4096) await guest.run(root.env(debian612), calls.slice(i, i + 4096));
      best.guest = Math.max(best.guest, calls.length / seconds(t));
      const campaign = async (oracle: HostOracle | GuestOracle, profile = debian612): Promise<number> => {
        const r = await runCampaign({ seed: 1000 + round, timeMs: opts.seconds * 1000, profile, oracle, properties: ['P-MODEL-EQ-KERNEL'], shard: { index: 0, count: 1 }, now: Date.now });
        if (r.summary.findings !== 0) throw new Error(`the ${oracle.kind} campaign of the benchmark found ${r.summary.findings}: ${r.findings[0].message}`);
        return (r.summary.kernelCalls?.calls ?? 0) / r.summary.seconds;
      };
      rates.host.push(await campaign(host, hostProfile));
      rates.vm.push(await campaign(guest));
    }
  } finally {
    await host.close();
    await guest.close();
  }
  best.hostCampaign = Math.max(...rates.host);
  best.vmCampaign = Math.max(...rates.vm);
  const n = opts.calls.toLocaleString('en');
  figs.push({ suite: 'kept-up guest', name: `host oracle, ${n} calls of the root class in batches of 4,096`, unit: 'call', perSecond: best.host, baseline: true });
  figs.push({ suite: 'kept-up guest', name: 'Debian 6.12 kept up in QEMU (TCG), the same calls through the mailbox', unit: 'call', perSecond: best.guest, ratioTo: best.host });
  figs.push({ suite: 'kept-up guest', name: `campaign differential on the host oracle (${opts.seconds} s rounds, calls per second of campaign time)`, unit: 'call', perSecond: best.hostCampaign });
  figs.push({ suite: 'kept-up guest', name: 'campaign differential on Debian 6.12 kept up in QEMU, the same', unit: 'call', perSecond: best.vmCampaign, ratioTo: best.hostCampaign });
  notes.push(`kept-up guest: boot to ready ${boot.toFixed(2)} s (Debian ${kernel.release}, preload); campaign rounds alternating host and VM, calls/s per round host ${rates.host.map((r) => r.toFixed(0)).join(', ')}, VM ${rates.vm.map((r) => r.toFixed(0)).join(', ')}; batches of up to 16 calls on the host, and in the VM 64 (16 where the environment has seccomp filters; properties/differential.ts batchCalls)`);
}
