// `sockspec spec check`: the RFC spec's contradictions by class, zero for a spec written from the
// model, exactly the planted ones in a mutated copy, and (on a machine that can run the executor)
// every counter-example confirmed on the kernel with a reproducer that compiles and reproduces.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { debian612, reference618 } from '../../model';
import { specCheck } from '../../engine/spec-check';
import { writeSpecCheckFiles } from '../../report/outputs';
import { specCheckMarkdown } from '../../report/text';
import { HostOracle } from '../../oracle/host';
import { executorSkipReason } from '../helpers';
import { probeHostProfile } from '../../oracle/probe';

const FIX = path.join(__dirname, '..', 'fixtures');
const RFC = path.join(FIX, 'kapi-socket-rfc-v2.eml');
const AGREES = path.join(FIX, 'kapi-socket-agrees.c');
const bin = path.join(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'sockspec-speccheck-'));

// A check of the model alone takes seconds: each file and grouping is judged once and shared.
const judged = new Map<string, ReturnType<typeof specCheck>>();
const checked = (file: string, group: 'item' | 'clause' = 'item'): ReturnType<typeof specCheck> => {
  const key = `${file}|${group}`;
  if (!judged.has(key)) judged.set(key, specCheck(file, [{ name: 'reference-6.18', profile: reference618 }], undefined, Date.now, { group }));
  return judged.get(key) as ReturnType<typeof specCheck>;
};

describe('spec check against the model', () => {
  it('finds the RFC spec contradictions, once per spec item and model clause with --group clause, by class', async () => {
    const s = await checked(RFC, 'clause');
    expect(s.group).toBe('clause');
    expect(s.byClass).toEqual({
      'cause-holds-other': 10, 'success-path': 3, 'cause-absent': 8, 'unlisted-errno': 3, 'capability-condition': 4,
      'capability-unlisted': 5, 'capability-namespace': 4, 'never-produced': 2, internal: 1,
    });
    expect(s.contradictions.every((c) => c.members.length === 0 && c.clauses.length === 1 && c.clauses[0] === c.clause)).toBe(true);
    expect([s.formalized, s.informal]).toEqual([40, 11]);
    const titles = s.contradictions.map((c) => c.title);
    expect(titles).toContain('the kernel returns ENODEV, which the spec does not list');
    expect(titles).toContain('EACCES is returned although none of its stated causes holds');
    // "Not directly returned by socket()": the i386 socketcall entry returns it for an unreadable argument block.
    expect(titles).toContain('EFAULT is returned although none of its stated causes holds');
    expect(s.contradictions.find((c) => c.title.startsWith('EFAULT'))?.counterexample).toBe('socketcall(SYS_SOCKET, NULL) = -1 EFAULT (Bad address)');
    expect(titles).toContain('EAGAIN is listed, but no input makes the kernel return it (no clause of the model returns it)');
    expect(titles).toContain('the kernel creates the socket although the type constraint "Range: 0-10" rules the call out');
    // Each contradiction once: no two entries share a title and a model clause.
    expect(new Set(s.contradictions.map((c) => `${c.title}|${c.specText}|${c.clause}`)).size).toBe(s.contradictions.length);
    const cap = s.contradictions.filter((c) => c.class === 'capability-condition').map((c) => c.counterexample);
    expect(cap).toContain('socket(AF_UNIX, SOCK_RAW, 0) = 3');
    const ns = s.contradictions.filter((c) => c.class === 'capability-namespace');
    expect(ns.map((c) => c.counterexample)).toContain('socket(AF_PACKET, SOCK_DGRAM, 0) = 3');
    expect(ns.every((c) => c.environment.includes('namespaces user+net'))).toBe(true);
    expect(s.contradictions.every((c) => c.kernel === null && c.confirmed === false)).toBe(true);
    // One kernel (the model alone): each entry holds there, unconfirmed.
    expect(s.kernels).toEqual([expect.objectContaining({ name: 'reference-6.18', oracle: 'none', holds: s.contradictions.length, confirmed: 0 })]);
    expect(s.contradictions.every((c) => c.kernels.length === 1 && c.kernels[0].holds && c.kernels[0].observed === null)).toBe(true);
    // The Markdown opens with one row per contradiction: spec lines, class, title, kernels, confirmed.
    const md = specCheckMarkdown(s).split('\n');
    const rows = md.filter((l) => /^\| \d+ \| /.test(l) && md.indexOf(l) < md.findIndex((x) => x.startsWith('## 1. ')));
    expect(rows).toHaveLength(s.contradictions.length);
    expect(rows[0]).toBe(`| 1 | ${s.contradictions[0].specLines.join(', ')} | ${s.contradictions[0].class} | ${s.contradictions[0].title.replace(/\|/g, '\\|')} | reference-6.18 | no |`);
  }, 60000);

  it('says each spec item once by default: its model clauses, each with its own shrunk counter-example', async () => {
    const model = [{ name: 'reference-6.18', profile: reference618 }];
    const byClause = await checked(RFC, 'clause');
    const s = await checked(RFC);
    expect(s.group).toBe('item');
    expect(s.byClass).toEqual({
      'cause-holds-other': 3, 'success-path': 3, 'cause-absent': 4, 'unlisted-errno': 2, 'capability-condition': 1,
      'capability-unlisted': 2, 'capability-namespace': 3, 'never-produced': 2, internal: 1,
    });
    // One entry per item; its members are exactly the clause view's entries of that item, in order.
    expect(new Set(s.contradictions.map((c) => c.item)).size).toBe(s.contradictions.length);
    expect(s.contradictions.flatMap((c) => c.members.map((m) => `${m.item} ${m.clause} ${m.counterexample}`)).sort())
      .toEqual(byClause.contradictions.map((m) => `${m.item} ${m.clause} ${m.counterexample}`).sort());
    for (const c of s.contradictions) {
      expect(c.clauses).toEqual([...new Set(c.members.map((m) => m.clause))]);
      expect(c.points).toBe(c.members.reduce((n, m) => n + m.points, 0));
      expect([c.counterexample, c.clause]).toEqual([c.members[0].counterexample, c.members[0].clause]);
    }
    // The flag-blind EINVAL cause, ten entries by clause, is one item naming the results it meets.
    const einval = s.contradictions.filter((c) => c.specText === 'type < 0 || type >= SOCK_MAX (11)');
    expect(einval).toHaveLength(1);
    expect(einval[0].clauses.length).toBe(byClause.contradictions.filter((c) => c.specText === 'type < 0 || type >= SOCK_MAX (11)').length);
    expect(einval[0].title).toBe(`the cause "type < 0 || type >= SOCK_MAX (11)" of EINVAL holds, yet the kernel returns ${[...new Set(einval[0].members.map((m) => m.model))].join(', ')}`);
    expect(einval[0].title).toMatch(/returns ok, EACCES, E/);
    // The Markdown shows an item's clauses and its first counter-examples.
    const md = specCheckMarkdown(s);
    expect(md).toContain(`- model clauses (${einval[0].clauses.length}): ${einval[0].clauses.join(', ')}; the first 4, each with its own shrunk counter-example:`);
    expect(md).toContain(`  - ${einval[0].members[1].clause} [${einval[0].members[1].kernelFunction}]: \`${einval[0].members[1].counterexample}\``);
  }, 60000);

  it('reports a capability the kernel demands, or a limit it lets a caller past, that no KAPI_CAPABILITY entry covers, whatever the prose says', async () => {
    const model = [{ name: 'reference-6.18', profile: reference618 }];
    const rfc = await checked(RFC);
    const caps = rfc.contradictions.filter((c) => c.class === 'capability-unlisted');
    expect(caps.map((c) => `${c.title} :: ${c.clauses.join(' ')}`)).toEqual([
      'the kernel demands CAP_NET_RAW in calls no KAPI_CAPABILITY entry covers :: packet-cap inet-raw-cap inet6-raw-cap xdp-cap',
      'CAP_SYS_ADMIN (capable(): in the initial user namespace) lets a caller past this limit, which no KAPI_CAPABILITY entry says: without it the kernel returns ENFILE :: G14-file-max',
    ]);
    // Each counter-example lacks only the capability it is about; the raw IP ones carry a flag the
    // entry's "type == SOCK_RAW" misses, and the kernel counts CAP_NET_RAW in the netns owner.
    const raw = caps[0].members;
    expect(raw.map((m) => m.environment)).toEqual(raw.map(() => 'shrunk: uid 0, all capabilities but CAP_NET_RAW, namespaces init'));
    expect(raw.find((m) => m.clause === 'inet-raw-cap')?.counterexample).toMatch(/^socket\(AF_INET, SOCK_RAW\|SOCK_(NONBLOCK|CLOEXEC), /);
    expect(raw.every((m) => m.title.includes('(ns_capable(): in the user namespace that owns the network namespace)'))).toBe(true);
    expect(caps[1].environment).toBe('shrunk: uid 0, all capabilities but CAP_SYS_ADMIN, namespaces init, fs.file-max 1');
    // On Debian 6.12 AF_KEY demands CAP_NET_ADMIN: reported although the EPERM text ends in prose
    // ("Some protocol families may have additional restrictions") that would absorb the errno.
    const d612 = await specCheck(RFC, [{ name: 'debian-6.12', profile: debian612 }], undefined, Date.now);
    expect(d612.contradictions.filter((c) => c.class === 'capability-unlisted').flatMap((c) => c.members.map((m) => `${m.clause}: ${m.counterexample}`)))
      .toContain('key-cap: socket(AF_KEY, 0, 0) = -1 EPERM (Operation not permitted)');
    // A list that misses one case is told exactly that case.
    const agrees = fs.readFileSync(AGREES, 'utf8');
    const file = path.join(tmp(), 'caps.c');
    fs.writeFileSync(file, agrees.replace('"family == AF_PACKET || family == AF_XDP || "', '"family == AF_PACKET || "')
      .replace(/\tKAPI_CAPABILITY\(1, CAP_SYS_ADMIN[\s\S]*?KAPI_CAPABILITY_END\n/, '').replace('KAPI_CAPABILITY_COUNT(2)', 'KAPI_CAPABILITY_COUNT(1)'));
    const mutated = await specCheck(file, model, undefined, Date.now);
    expect(mutated.contradictions.map((c) => `${c.class}: ${c.clauses.join(' ')}: ${c.counterexample}`)).toEqual([
      'capability-unlisted: xdp-cap: socket(AF_XDP, 0, 0) = -1 EPERM (Operation not permitted)',
      'capability-unlisted: G14-file-max: socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = -1 ENFILE (Too many open files in system)',
    ]);
  }, 120000);

  it('reports the order the spec leaves open, pair of causes by pair, checks a stated order, and tabulates the kernel\'s', async () => {
    const model = [{ name: 'reference-6.18', profile: reference618 }];
    const agrees = fs.readFileSync(AGREES, 'utf8');
    const s = await checked(AGREES);
    const pairs = s.order.unstated.map((c) => `${c.title.replace(/: the spec does not say which comes first$/, '')} :: ${c.counterexample}`);
    // __sock_create checks the family range before the type range, and the type range before the family's create.
    expect(pairs).toContain('where "family < 0 || family >= NPROTO (46)" (EAFNOSUPPORT) and "(type & SOCK_TYPE_MASK) >= SOCK_MAX (11)" (EINVAL) both hold, the kernel returns EAFNOSUPPORT :: socket(-1, 11, 0) = -1 EAFNOSUPPORT (Address family not supported by protocol)');
    expect(pairs.some((p) => p.startsWith('where "(type & SOCK_TYPE_MASK) >= SOCK_MAX (11)" (EINVAL) and "AF_PACKET: missing CAP_NET_RAW in the user namespace owning the network namespace" (EPERM) both hold, the kernel returns EINVAL :: socket(AF_PACKET, 11,'))).toBe(true);
    expect(s.order.unstated.every((c) => c.class === 'order' && c.kernels[0].holds)).toBe(true);
    // The table: invalid flags come before the family range, the family range before the type range.
    expect(s.order.table.wins['EINVAL>EAFNOSUPPORT']).toEqual(['reference-6.18']);
    expect(s.order.table.wins['EAFNOSUPPORT>EINVAL']).toEqual(['reference-6.18']);
    expect(s.order.table.wins['EPERM>EINVAL']).toBeUndefined();
    expect(specCheckMarkdown(s)).toMatch(/\| EINVAL \| · \| both: <, > \| < \|/);
    // A stated order is checked: the right one silences its pairs, a wrong one is a contradiction.
    const file = (name: string, order: string): string => {
      const f = path.join(tmp(), name);
      fs.writeFileSync(f, agrees.replace('\tKAPI_PARAM_COUNT(3)', `\tKAPI_CONSTRAINT(0, "Error order", "${order}")\n\tKAPI_CONSTRAINT_END\n\tKAPI_PARAM_COUNT(3)`));
      return f;
    };
    const right = await specCheck(file('right.c', 'EINVAL before EPERM'), model, undefined, Date.now);
    expect(right.contradictions).toEqual([]);
    expect(right.order.unstated.filter((c) => /\(EPERM\)/.test(c.title))).toEqual([]);
    expect(right.order.unstated.length).toBe(s.order.unstated.filter((c) => !/\(EPERM\)/.test(c.title)).length);
    const wrong = await specCheck(file('wrong.c', 'AF_PACKET: EPERM before EINVAL'), model, undefined, Date.now);
    expect(wrong.contradictions.map((c) => `${c.class}: ${c.title} :: ${c.counterexample} :: ${c.environment}`)).toEqual([
      'order: the spec orders EPERM before EINVAL ("AF_PACKET: EPERM before EINVAL"), yet where causes of both hold the kernel returns EINVAL :: socket(AF_PACKET, 11, 0) = -1 EINVAL (Invalid argument) :: shrunk: uid 0, all capabilities but CAP_NET_RAW, namespaces init',
    ]);
  }, 120000);

  it('simulates KAPI\'s runtime checks: the calls enforcing the parameter constraints would change', async () => {
    const model = [{ name: 'reference-6.18', profile: reference618 }];
    // The RFC's KAPI_CONSTRAINT_RANGE(0, 45) on family turns EAFNOSUPPORT into EINVAL; its type mask
    // changes nothing (the kernel already says EINVAL there); protocol has KAPI_CONSTRAINT_NONE.
    const rfc = await checked(RFC);
    expect(rfc.enforcement.map((e) => [e.check, e.line, e.text, Object.keys(e.kernels[0].today)])).toEqual([['family', 60, 'family: KAPI_CONSTRAINT_RANGE(0, 45)', ['EAFNOSUPPORT']]]);
    expect(rfc.enforcement[0].kernels[0].points).toBeGreaterThan(1000);
    expect(rfc.enforcement[0].examples.map((x) => x.counterexample)).toEqual(['socket(-1, 0, 0) = -1 EAFNOSUPPORT (Address family not supported by protocol)']);
    expect(specCheckMarkdown(rfc)).toContain('| family: KAPI_CONSTRAINT_RANGE(0, 45) | 60 | reference-6.18 |');
    // No constraint type: nothing is checked at run time.
    expect((await checked(AGREES)).enforcement).toEqual([]);
    // A parameter count other than socket()'s 3 rejects every call, working ones first.
    const file = path.join(tmp(), 'count.c');
    fs.writeFileSync(file, fs.readFileSync(AGREES, 'utf8').replace('KAPI_PARAM_COUNT(3)', 'KAPI_PARAM_COUNT(4)'));
    const count = await specCheck(file, model, undefined, Date.now);
    expect(count.enforcement.map((e) => [e.check, e.text])).toEqual([['param-count', 'KAPI_PARAM_COUNT(4): socket() passes 3']]);
    expect(count.enforcement[0].kernels[0].today.ok).toBeGreaterThan(1000);
    expect(count.enforcement[0].examples[0]).toMatchObject({ today: 'ok', counterexample: 'socket(AF_UNIX, SOCK_STREAM, 0) = 3' });
  }, 120000);

  it('finds nothing in a spec written from the model', async () => {
    const s = await checked(AGREES);
    expect(s.contradictions).toEqual([]);
  }, 60000);

  it('finds exactly the contradictions planted in a mutated copy, one of each class but cause-absent', async () => {
    const text = fs.readFileSync(AGREES, 'utf8')
      .replace(/\tKAPI_ERROR\(6, -ENODEV[\s\S]*?\)\n/, '\tKAPI_ERROR(6, -EAGAIN, "EAGAIN", "Try again", "Listed for completeness.")\n')
      .replace('"(type & SOCK_TYPE_MASK) >= SOCK_MAX (11); "', '"type >= SOCK_MAX (11); "')
      .replace('"Returned when: AF_PACKET: missing CAP_NET_RAW in the user namespace owning the network namespace; "', '"Returned when: AF_PACKET: missing CAP_NET_RAW; "')
      .replace('AF_INET with SOCK_PACKET: missing CAP_NET_RAW', 'AF_INET: missing CAP_NET_RAW')
      .replace('If SOCK_NONBLOCK is set, O_NONBLOCK is set on the file.', 'If SOCK_NONBLOCK is set, FD_CLOEXEC is set on the descriptor.')
      .replace('only 0 or PF_UNIX (1) accepted', 'only 0 accepted')
      .replace('int tcp = socket(AF_INET, SOCK_STREAM, 0);', 'int tcp = socket(AF_INET, SOCK_STREAM, IPPROTO_UDP);')
      .replace('KAPI_PARAM_COUNT(3)', 'KAPI_PARAM_COUNT(4)');
    const file = path.join(tmp(), 'mutated.c');
    fs.writeFileSync(file, text);
    const s = await specCheck(file, [{ name: 'reference-6.18', profile: reference618 }], undefined, Date.now);
    expect(s.contradictions.map((c) => `${c.class}: ${c.title} :: ${c.counterexample}`).sort()).toEqual([
      'capability-condition: the capability condition "AF_INET: missing CAP_NET_RAW in the user namespace owning the network namespace" holds, yet the kernel returns ok :: socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 3',
      'capability-namespace: "AF_PACKET: missing CAP_NET_RAW" names CAP_NET_RAW without its namespace: read as capable() (the initial user namespace) the spec expects EPERM, but the kernel checks ns_capable() in the user namespace that owns the network namespace and returns ok :: socket(AF_PACKET, SOCK_DGRAM, 0) = 3',
      'cause-holds-other: the cause "type >= SOCK_MAX (11)" of EINVAL holds, yet the kernel returns ok :: socket(AF_UNIX, SOCK_STREAM|SOCK_NONBLOCK, 0) = 3',
      'internal: KAPI_PARAM_COUNT says 4, the spec lists 3 :: -',
      'never-produced: EAGAIN is listed, but no input makes the kernel return it (no clause of the model returns it) :: -',
      'success-path: the call succeeds, but not as the spec says: "If SOCK_NONBLOCK is set, FD_CLOEXEC is set on the descriptor" (fd 3, cloexec 0, nonblock 1) :: socket(AF_UNIX, SOCK_STREAM|SOCK_NONBLOCK, 0) = 3',
      'success-path: the kernel creates the socket although the protocol constraint "For AF_UNIX: only 0 accepted" rules the call out :: socket(AF_UNIX, SOCK_STREAM, PF_UNIX) = 3',
      'success-path: the spec shows socket(AF_INET, SOCK_STREAM, IPPROTO_UDP) as a working call, yet the kernel returns EPROTONOSUPPORT :: socket(AF_INET, SOCK_STREAM, IPPROTO_UDP) = -1 EPROTONOSUPPORT (Protocol not supported)',
      'unlisted-errno: the kernel returns ENODEV, which the spec does not list :: socket(AF_VSOCK, SOCK_DGRAM, 0) = -1 ENODEV (No such device)',
    ]);
    // Shrunk: the capability counter-example lacks only the capability it is about.
    expect(s.contradictions.find((c) => c.class === 'capability-condition')?.environment).toBe('shrunk: uid 0, all capabilities but CAP_NET_RAW, namespaces init');
  }, 60000);
});

const why = executorSkipReason();
(why === '' ? describe : describe.skip)(`spec check confirmed on the host kernel${why ? ` — skipped: ${why}` : ''}`, () => {
  it('confirms every counter-example on the kernel and writes reproducers that reproduce', async () => {
    const oracle = await HostOracle.start();
    try {
      const dir = tmp();
      const s = await specCheck(RFC, [{ name: 'host', profile: await probeHostProfile(oracle), oracle }], dir, Date.now);
      writeSpecCheckFiles(dir, s);
      // Calls through the i386 entries stay unobserved on a kernel without IA32 emulation (this
      // host's), and the host never sets fs.file-max: those are for --oracle vm.
      const ia32 = s.contradictions.filter((c) => c.kernel?.startsWith('unobserved') === true);
      for (const c of ia32) {
        expect(`${c.counterexample} ${c.kernel}`).toMatch(/^((\[i386|socketcall\().*unobserved: .*(IA32|ia32|int \$0x80).*|.*unobserved: the host never changes fs.file-max or fs.nr_open: judge this one with --oracle vm)$/);
      }
      expect(ia32.filter((c) => c.kernel?.includes('fs.file-max')).map((c) => c.clause)).toEqual(['G14-file-max']);
      const withCall = s.contradictions.filter((c) => c.counterexample !== '-' && !ia32.includes(c));
      expect(withCall.length).toBeGreaterThan(5);
      for (const c of withCall) {
        expect(c.kernel).toBe(c.model);
        expect(c.confirmed).toBe(true);
      }
      expect(s.contradictions.filter((c) => c.counterexample === '-' || ia32.includes(c)).every((c) => !c.confirmed)).toBe(true);
      expect(fs.readFileSync(path.join(dir, 'spec-check.md'), 'utf8')).toContain('confirmed: yes');
      // Every counter-example has a reproducer, and each still exits 1 (the kernel contradicts the spec).
      expect(withCall.every((c) => c.reproducer !== null)).toBe(true);
      for (const c of withCall) {
        const exe = path.join(dir, 'repro');
        expect(spawnSync('cc', ['-o', exe, c.reproducer as string], { encoding: 'utf8' }).status).toBe(0);
        const r = spawnSync(exe, [], { encoding: 'utf8' });
        expect(`${c.title}: ${r.stdout}`).toMatch(/: sockspec-repro call=0 ret=\S+ result=\S+ expected=\S+( fd=\d+ cloexec=\d nonblock=\d)?\n$/);
        expect(`${c.title}: exit ${r.status}`).toBe(`${c.title}: exit 1`);
      }
    } finally {
      await oracle.close();
    }
  }, 120000);

  it('sockspec spec check --json prints the summary and exits 1', () => {
    const r = spawnSync(process.execPath, [bin, 'spec', 'check', RFC, '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ oracle: 'host', kernel: 'host', formalized: 40, informal: 11 });
    for (const c of s.contradictions) for (const k of ['class', 'title', 'specLines', 'counterexample', 'kernel', 'confirmed']) expect(c).toHaveProperty(k);
  }, 120000);
});
