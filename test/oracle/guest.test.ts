// The VM oracle kept up (oracle/vm/guest.ts): one Debian 6.12 guest answers many batches through
// its mailbox exactly as a boot per batch does; a console alert comes back with the batch that
// raised it and is narrowed to its call on fresh boots; a guest that dies on a batch is rebooted
// and the batch retried, and a second death is a KernelDied carrying the batch; a campaign turns
// both into findings. The faults are injected through PID 1 (SOCKSPEC_FAULT, oracle/executor/vm.c):
// "alert:F" writes a WARNING line to the console after a batch that called family F, "panic:F"
// ends PID 1 there. Skipped only where the machine lacks QEMU or the Debian tools.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { debian612, defaultEnv, evaluate, fdTable, formatCall, type Call } from '../../model';
import { runCampaign } from '../../engine/campaign/campaign';
import { fetchKernel, type KernelImage } from '../../oracle/kernels';
import { compareOutcomes, describeMismatch } from '../../oracle/compare';
import { KernelDied } from '../../oracle/errors';
import { errorText, requestFrame } from '../../oracle/codec';
import { replyFrames } from '../../oracle/host/frames';
import { KIND } from '../../oracle/protocol';
import { observe } from '../../oracle/observe';
import { GuestOracle } from '../../oracle/vm/guest';
import { staticExecutorPath, VmOracle } from '../../oracle/vm/runner';
import { vmSkipReason } from '../helpers';

const why = vmSkipReason();

const call = (a0: number, a1: number, a2: number): Call => ({ a0: BigInt.asUintN(64, BigInt(a0)), a1: BigInt(a1), a2: BigInt(a2) });

(why === '' ? describe : describe.skip)(`a guest kept up (Debian 6.12 in QEMU)${why ? ` — skipped: ${why}` : ''}`, () => {
  let kernel: KernelImage;
  const opts = (): { kernel: { image: string; modules?: string } } => ({ kernel: { image: kernel.vmlinuz, ...(kernel.modules ? { modules: kernel.modules } : {}) } });
  beforeAll(() => {
    process.env.SOCKSPEC_CACHE ??= path.join(os.tmpdir(), 'sockspec-test-cache');
    kernel = fetchKernel('debian-6.12');
  }, 300000);

  it('answers many batches in one boot through its mailbox, exactly as a boot per batch does, the global knobs included', async () => {
    const env = defaultEnv({ profile: debian612 });
    const batches: Array<{ env: typeof env; calls: Call[] }> = [
      { env, calls: [1, 2, 10, 16, 17, 38, 40].flatMap((f) => [1, 2, 3, 5].map((t) => call(f, t, 0))) },
      // fs.nr_open 100 with fds 0..63 open: the table may not grow to hold fd 64 (debian-6.12 clamps down).
      { env: { ...env, nrOpen: 100, fds: fdTable(Array.from({ length: 64 }, (_, i) => i)) }, calls: [call(1, 1, 0), call(2, 2, 0)] },
      // fs.file-max 1 without CAP_SYS_ADMIN: ENFILE, in a user namespace too (its setup still opens files).
      { env: { ...env, fileMax: 1, creds: { ...env.creds, uid: 1000, caps: 0, namespaces: 'user+net' as const } }, calls: [call(1, 1, 0), call(2, 1, 0)] },
      // 3 AF_UNIX sockets alive and fs.file-max 1: unix_nr_socks refuses AF_UNIX even to root.
      { env: { ...env, fileMax: 1, unixSockets: 3 }, calls: [call(1, 1, 0), call(2, 1, 0)] },
      // 2 of them: 2 > 2 × 1 is false, so AF_UNIX is let through (the holder closed one).
      { env: { ...env, fileMax: 1, unixSockets: 2 }, calls: [call(1, 1, 0), call(2, 1, 0)] },
    ];
    // The second batch again, after the others: what one RUN leaves must not change the next (the
    // AF_UNIX sockets and padding files of a knob RUN live in a holder process, not in PID 1).
    batches.push(batches[1]);
    const guest = await GuestOracle.start(opts());
    try {
      const mismatches: string[] = [];
      const kept: string[][] = [];
      for (const b of batches) {
        const run = await guest.run(b.env, b.calls);
        kept.push(run.results.map((r) => JSON.stringify(observe(r, run))));
        run.results.forEach((r, i) => {
          const ms = compareOutcomes(evaluate(b.calls[i], b.env).outcome, observe(r, run));
          if (ms.length > 0) mismatches.push(`${formatCall(b.calls[i])}: ${ms.map(describeMismatch).join('; ')}`);
        });
      }
      expect(mismatches).toEqual([]);
      expect(guest.stats).toMatchObject({ boots: 1, reboots: 0, retries: 0, requests: batches.length + 1 });
      expect(guest.alerts).toEqual([]);
      // The same batches, one boot for all of them, the old way (requests in the initramfs).
      const once = await new VmOracle(opts()).runMany(batches);
      expect(once.map((run) => run.results.map((r) => JSON.stringify(observe(r, run))))).toEqual(kept);
    } finally {
      await guest.close();
    }
    expect(guest.pid).toBeUndefined();
  }, 300000);

  it('namespaces kept from an earlier batch take the next environment\'s sysctls, in every shape', async () => {
    // The guest keeps namespaces by shape across batches (oracle/executor/watch.c); one kept with
    // another ping_group_range or mptcp.enabled gets this batch's values written first. Each
    // environment alternates with its opposite in the same shape: a stale value shows at once.
    const base = defaultEnv({ profile: debian612 });
    const calls = [call(2, 2, 1), call(10, 2, 58), call(2, 1, 262)]; // ICMP and ICMPv6 datagram, MPTCP
    const guest = await GuestOracle.start(opts());
    try {
      const mismatches: string[] = [];
      for (const namespaces of ['user+net', 'user', 'net', 'init'] as const) {
        const open = { ...base, pingGroupRange: [0, 2000] as [number, number], mptcpEnabled: false, creds: { ...base.creds, uid: 1000, gid: 1000, caps: 0, namespaces } };
        const shut = { ...open, pingGroupRange: [1, 0] as [number, number], mptcpEnabled: true };
        const seen: string[] = [];
        for (const env of [open, shut, open, shut]) {
          const run = await guest.run(env, calls);
          seen.push(run.results.map((r) => JSON.stringify(observe(r, run))).join(' '));
          run.results.forEach((r, i) => {
            const ms = compareOutcomes(evaluate(calls[i], env).outcome, observe(r, run));
            if (ms.length > 0) mismatches.push(`${namespaces} ping ${env.pingGroupRange.join(' ')} mptcp ${env.mptcpEnabled}: ${formatCall(calls[i])}: ${ms.map(describeMismatch).join('; ')}`);
          });
        }
        // The two environments answer differently, and each the same way both times.
        expect(seen[0]).not.toEqual(seen[1]);
        expect([seen[2], seen[3]]).toEqual([seen[0], seen[1]]);
      }
      expect(mismatches).toEqual([]);
    } finally {
      await guest.close();
    }
  }, 300000);

  it('a console alert comes back with its batch and is narrowed to the one call on fresh boots', async () => {
    const guest = await GuestOracle.start({ ...opts(), fault: 'alert:38' });
    try {
      const env = defaultEnv({ profile: debian612 });
      const quiet = await guest.run(env, [call(1, 1, 0), call(2, 1, 0)]);
      expect(quiet.alerts).toBeUndefined();
      const calls = [call(1, 1, 0), call(2, 1, 0), call(10, 2, 0), call(38, 5, 0), call(16, 3, 0)];
      const loud = await guest.run(env, calls);
      expect(loud.alerts).toEqual([expect.stringMatching(/^boot 1: WARNING: CPU: 0 PID: 1 at sockspec fault injection$/)]);
      const narrowed = await guest.narrow(env, calls, 'alert');
      expect(narrowed).toEqual([call(38, 5, 0)]);
      expect(guest.stats.narrowingBoots).toBeGreaterThanOrEqual(2);
      expect(guest.stats.narrowingBoots).toBeLessThanOrEqual(6);
    } finally {
      await guest.close();
    }
  }, 300000);

  it('a guest that dies on a batch is rebooted and the batch retried; dying again is a KernelDied with the batch, narrowed on fresh boots', async () => {
    const guest = await GuestOracle.start({ ...opts(), fault: 'panic:38' });
    try {
      const env = defaultEnv({ profile: debian612 });
      const calls = [call(1, 1, 0), call(38, 5, 0), call(2, 1, 0)];
      const err = await guest.run(env, calls).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(KernelDied);
      const died = err as KernelDied;
      expect(died.batch.calls).toEqual(calls);
      expect(died.message).toMatch(/died on this batch twice/);
      expect(died.alerts.some((l) => /Kernel panic - not syncing: Attempted to kill init!/.test(l))).toBe(true);
      // Booted, died, rebooted for the retry, died again: the next request boots it once more.
      expect(guest.stats).toMatchObject({ boots: 2, reboots: 1, retries: 1 });
      const after = await guest.run(env, [call(1, 1, 0)]);
      expect(after.results[0].status).toBe('returned');
      expect(guest.stats).toMatchObject({ boots: 3, reboots: 2, retries: 1 });
      expect(await guest.narrow(env, calls, 'died')).toEqual([call(38, 5, 0)]);
    } finally {
      await guest.close();
    }
  }, 300000);

  it('in a campaign a console alert is a finding, with its call, its console line and how to replay it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-guest-campaign-'));
    const guest = await GuestOracle.start({ ...opts(), fault: 'alert:2' });
    try {
      const { summary, findings } = await runCampaign({
        seed: 3, runs: 1000, profile: debian612, oracle: guest, properties: ['P-MODEL-EQ-KERNEL'], shard: { index: 0, count: 1 }, out: dir,
        kernelFlags: '--oracle vm --kernel-image debian-6.12',
      });
      expect(summary.findings).toBe(1);
      const f = findings[0];
      expect(f.kernelFault?.symptom).toBe('alert');
      expect(f.kernelFault?.lines).toEqual(['WARNING: CPU: 0 PID: 1 at sockspec fault injection']);
      expect(f.kernelFault?.calls).toHaveLength(1);
      expect(f.call?.a0).toBe('0x2');
      expect(f.signature).toBe('P-MODEL-EQ-KERNEL|kernel alert|WARNING: CPU: N PID: N at sockspec fault injection');
      expect(f.kernelFlags).toBe('--oracle vm --kernel-image debian-6.12');
      expect(summary.guest?.narrowingBoots).toBeGreaterThan(0);
    } finally {
      await guest.close();
    }
  }, 600000);

  it('in a campaign a kernel that dies on a batch twice is a finding, narrowed to the call that kills it', async () => {
    const guest = await GuestOracle.start({ ...opts(), fault: 'panic:44' });
    try {
      const { summary, findings } = await runCampaign({ seed: 3, runs: 1000, profile: debian612, oracle: guest, properties: ['P-MODEL-EQ-KERNEL'], shard: { index: 0, count: 1 } });
      expect(summary.findings).toBe(1);
      const f = findings[0];
      expect(f.kernelFault?.symptom).toBe('died');
      expect(f.kernelFault?.calls).toHaveLength(1);
      expect(BigInt(f.call?.a0 ?? '0') & 0xffffffffn).toBe(44n);
      expect(f.message).toMatch(/^kernel died: .* killed the guest twice \(Kernel panic - not syncing: Attempted to kill init!/);
      expect(summary.guest).toMatchObject({ retries: 1 });
    } finally {
      await guest.close();
    }
  }, 600000);

  it('runs a program of its initramfs as root and reports its exit status and output; the host executor refuses EXEC', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-exec-'));
    fs.writeFileSync(path.join(dir, 'p.c'), '#include <stdio.h>\n#include <unistd.h>\nint main(void) { printf("uid=%d\\n", (int)getuid()); return 7; }\n');
    const cc = spawnSync('cc', ['-static', '-o', path.join(dir, 'p'), path.join(dir, 'p.c')], { encoding: 'utf8' });
    expect(cc.status).toBe(0);
    const guest = await GuestOracle.start({ ...opts(), files: [{ path: 'p', data: fs.readFileSync(path.join(dir, 'p')) }] });
    try {
      const r = await guest.exec('/p');
      expect(r).toMatchObject({ status: 7, signal: 0 });
      expect(r.output).toContain('uid=0');
      expect(await guest.exec('/nothing-here')).toMatchObject({ status: 127 });
    } finally {
      await guest.close();
    }
    // The host's executor never runs a program it was sent.
    const host = spawnSync(path.join(path.dirname(staticExecutorPath()), 'sockspec-executor'), [], {
      input: Buffer.concat([requestFrame(KIND.EXEC, Buffer.from('/bin/true')), requestFrame(KIND.QUIT)]),
    });
    const { frames } = replyFrames(host.stdout);
    expect(frames.map((f) => f.kind)).toEqual([KIND.ERROR]);
    expect(errorText(frames[0].payload)).toMatchObject({ code: KIND.EXEC, text: expect.stringContaining('EXEC outside a VM') });
  }, 300000);
});
