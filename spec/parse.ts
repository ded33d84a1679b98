// Parsing a KAPI spec block (DEFINE_KERNEL_API_SPEC(name) … KAPI_END_SPEC) into a typed
// structure: every KAPI_* macro the socket() spec uses, grouped into its blocks (params, return,
// errors, locks, signals, side effects, state transitions, socket state, protocol behaviours,
// buffer and async specs, address families, capabilities, constraints), each item with its line.
// A file may hold several blocks (one per syscall, as the RFC's series does): specBlocks lists
// them with the syscall each specifies, and parseSpec reads the one asked for.
// Sources: the KAPI RFC posting (test/fixtures/kapi-socket-rfc-v2.eml), include/linux/kernel_api_spec.h as the RFC describes it.

import { lex, sourceLines, SpecError, type Token } from './lex';

/** One macro argument: a string (adjacent literals joined), a number, or an expression's text. */
export type Arg = string | number | { readonly expr: string };

/** One macro invocation as written. */
export interface MacroCall {
  readonly name: string;
  readonly args: readonly Arg[];
  readonly line: number;
  readonly col: number;
}

/** An item of a block: its fields by name, the line it starts on, and inner macros not mapped. */
export type Item = Record<string, unknown> & { readonly line: number };

export interface ParsedSpec {
  readonly name: string;
  readonly line: number;
  readonly endLine: number;
  readonly description?: string;
  readonly longDescription?: string;
  readonly context?: string;
  readonly since?: string;
  readonly examples?: string;
  readonly notes?: string;
  readonly params: Item[];
  readonly return?: Item;
  readonly errors: Item[];
  readonly locks: Item[];
  readonly signals: Item[];
  readonly sideEffects: Item[];
  readonly stateTransitions: Item[];
  readonly socketState?: Item;
  readonly protocolBehaviors: Item[];
  readonly buffer?: Item;
  readonly async?: Item;
  readonly addressFamilies: Item[];
  readonly capabilities: Item[];
  readonly constraints: Item[];
  /** `KAPI_*_COUNT(n)` declarations, by what they count (`PARAM`, `ERROR`, …). */
  readonly counts: Record<string, { value: number; line: number }>;
  /** `.field = value` designated initializers (operation characteristics). */
  readonly characteristics: Record<string, { value: string; line: number }>;
  /** Macros the parser does not know, kept as written. */
  readonly other: MacroCall[];
  /** The input line of each single field (`description`, `examples`, `notes`, …). */
  readonly lines: Record<string, number>;
}

interface BlockDef {
  readonly key: keyof ParsedSpec;
  readonly end: string;
  readonly args: readonly string[];
  /** Inner macro → field name(s); a bare flag macro sets its field to true. */
  readonly inner: Readonly<Record<string, string | readonly string[]>>;
  readonly single?: boolean;
}

const BLOCKS: Readonly<Record<string, BlockDef>> = {
  KAPI_PARAM: { key: 'params', end: 'KAPI_PARAM_END', args: ['index', 'name', 'ctype', 'description'], inner: {
    KAPI_PARAM_FLAGS: 'flags', KAPI_PARAM_TYPE: 'type', KAPI_PARAM_CONSTRAINT_TYPE: 'constraintType',
    KAPI_PARAM_RANGE: ['min', 'max'], KAPI_PARAM_VALID_MASK: 'validMask', KAPI_PARAM_CONSTRAINT: 'constraint',
    KAPI_PARAM_ENUM_VALUES: 'enumValues', KAPI_PARAM_SIZE: 'size', KAPI_PARAM_ALIGNMENT: 'alignment' } },
  KAPI_RETURN: { key: 'return', end: 'KAPI_RETURN_END', args: ['ctype', 'description'], single: true, inner: {
    KAPI_RETURN_TYPE: 'type', KAPI_RETURN_CHECK_TYPE: 'checkType', KAPI_RETURN_SUCCESS: 'success',
    KAPI_RETURN_RANGE: ['min', 'max'] } },
  KAPI_LOCK: { key: 'locks', end: 'KAPI_LOCK_END', args: ['index', 'name', 'type'], inner: {
    KAPI_LOCK_ACQUIRED: 'acquired', KAPI_LOCK_RELEASED: 'released', KAPI_LOCK_DESC: 'description' } },
  KAPI_SIGNAL: { key: 'signals', end: 'KAPI_SIGNAL_END', args: ['index', 'signal', 'name', 'direction', 'action'], inner: {
    KAPI_SIGNAL_CONDITION: 'condition', KAPI_SIGNAL_DESC: 'description', KAPI_SIGNAL_TIMING: 'timing',
    KAPI_SIGNAL_INTERRUPTIBLE: 'interruptible', KAPI_SIGNAL_RESTARTABLE: 'restartable', KAPI_SIGNAL_ERROR: 'error' } },
  KAPI_SIDE_EFFECT: { key: 'sideEffects', end: 'KAPI_SIDE_EFFECT_END', args: ['index', 'type', 'target', 'description'], inner: {
    KAPI_EFFECT_CONDITION: 'condition', KAPI_EFFECT_REVERSIBLE: 'reversible' } },
  KAPI_STATE_TRANS: { key: 'stateTransitions', end: 'KAPI_STATE_TRANS_END', args: ['index', 'object', 'from', 'to', 'description'], inner: {
    KAPI_STATE_TRANS_COND: 'condition' } },
  KAPI_PROTOCOL_BEHAVIOR: { key: 'protocolBehaviors', end: 'KAPI_PROTOCOL_BEHAVIOR_END', args: ['index', 'protocol', 'description'], inner: {
    KAPI_PROTOCOL_FLAGS: ['flags', 'flagsDescription'] } },
  KAPI_ADDR_FAMILY: { key: 'addressFamilies', end: 'KAPI_ADDR_FAMILY_END', args: ['index', 'family', 'name', 'addrSize', 'minLen', 'maxLen'], inner: {
    KAPI_ADDR_FORMAT: 'format', KAPI_ADDR_FEATURES: ['connectionOriented', 'multicast', 'broadcast'],
    KAPI_ADDR_SPECIAL: 'special', KAPI_ADDR_PORTS: ['minPort', 'maxPort'] } },
  KAPI_CAPABILITY: { key: 'capabilities', end: 'KAPI_CAPABILITY_END', args: ['index', 'capability', 'name', 'action'], inner: {
    KAPI_CAP_CONDITION: 'condition', KAPI_CAP_ALLOWS: 'allows', KAPI_CAP_WITHOUT: 'without', KAPI_CAP_PRIORITY: 'priority',
    KAPI_CAP_ALTERNATIVE: 'alternative' } },
  KAPI_CONSTRAINT: { key: 'constraints', end: 'KAPI_CONSTRAINT_END', args: ['index', 'name', 'description'], inner: {
    KAPI_CONSTRAINT_EXPR: 'expression' } },
  KAPI_BUFFER_SPEC: { key: 'buffer', end: 'KAPI_BUFFER_END', args: ['behaviors'], single: true, inner: {
    KAPI_BUFFER_SIZE: ['minSize', 'maxSize', 'optimalSize'] } },
  KAPI_ASYNC_SPEC: { key: 'async', end: 'KAPI_ASYNC_END', args: ['modes', 'timeoutMs'], single: true, inner: {} },
  KAPI_SOCKET_STATE_REQ: { key: 'socketState', end: 'KAPI_SOCKET_STATE_END', args: ['required'], single: true, inner: {
    KAPI_SOCKET_STATE_RESULT: 'result', KAPI_SOCKET_STATE_COND: 'condition', KAPI_SOCKET_STATE_PROTOS: 'protocols' } },
};

const SINGLES: Readonly<Record<string, keyof ParsedSpec>> = {
  KAPI_DESCRIPTION: 'description', KAPI_LONG_DESC: 'longDescription', KAPI_CONTEXT: 'context',
  KAPI_SINCE_VERSION: 'since', KAPI_EXAMPLES: 'examples', KAPI_NOTES: 'notes',
};

const ERROR_ARGS = ['index', 'code', 'name', 'short', 'description'];

function argValue(tokens: readonly Token[]): Arg {
  if (tokens.length > 0 && tokens.every((t) => t.kind === 'string')) return tokens.map((t) => t.text).join('');
  const text = tokens.map((t) => (t.kind === 'string' ? JSON.stringify(t.text) : t.text)).join(' ')
    .replace(/ ?([(),]) ?/g, '$1').replace(/^- /, '-');
  const n = /^-?(0x[0-9a-f]+|\d+)$/i.test(text) ? Number(text.startsWith('-') ? -Number(text.slice(1)) : Number(text)) : NaN;
  return Number.isFinite(n) ? n : { expr: text };
}

/** One DEFINE_KERNEL_API_SPEC(name) block of the input. */
export interface SpecBlock {
  /** 1-based, in input order. */
  readonly index: number;
  readonly name: string;
  readonly line: number;
  /** The syscall it specifies (`sys_bind` → `bind`), by syscallOf. */
  readonly syscall: string;
}

/** The syscall a spec name stands for: `sys_socket`, `__x64_sys_socket`, `compat_sys_socket` → `socket`; another name as it is. */
export function syscallOf(name: string): string {
  return /^(?:__(?:do_|se_)?)?(?:(?:x64|x32|ia32|arm64)_)?(?:compat_)?sys_(\w+)$/.exec(name)?.[1] ?? name;
}

/** The token index of each DEFINE_KERNEL_API_SPEC( head, with its block; a malformed head is a SpecError. */
function heads(tokens: readonly Token[]): Array<{ start: number; block: SpecBlock }> {
  const out: Array<{ start: number; block: SpecBlock }> = [];
  tokens.forEach((t, i) => {
    // `#define DEFINE_KERNEL_API_SPEC(name)` in a header is the macro, not a block.
    if (t.kind !== 'ident' || t.text !== 'DEFINE_KERNEL_API_SPEC' || tokens[i + 1]?.text !== '(' || tokens[i - 1]?.text === 'define') return;
    const nameTok = tokens[i + 2];
    if (nameTok?.kind !== 'ident' || tokens[i + 3]?.text !== ')') throw new SpecError(t.line, t.col, 'expected DEFINE_KERNEL_API_SPEC(name)');
    out.push({ start: i, block: { index: out.length + 1, name: nameTok.text, line: t.line, syscall: syscallOf(nameTok.text) } });
  });
  if (out.length === 0) throw new SpecError(1, 1, 'no DEFINE_KERNEL_API_SPEC(name) block in the input');
  return out;
}

/** Every spec block of `input` (a C file, a patch, or an e-mail carrying one), in order; none is a SpecError. */
export function specBlocks(input: string): SpecBlock[] {
  return heads(lex(sourceLines(input))).map((h) => h.block);
}

/** Reads the macro calls between the DEFINE_KERNEL_API_SPEC at `start` and its KAPI_END_SPEC. */
function calls(tokens: readonly Token[], start: number): { name: string; line: number; endLine: number; macros: MacroCall[]; fields: Array<{ name: string; value: string; line: number }> } {
  const head = tokens[start];
  const nameTok = tokens[start + 2];
  const macros: MacroCall[] = [];
  const fields: Array<{ name: string; value: string; line: number }> = [];
  let i = start + 4;
  for (;;) {
    const t = tokens[i];
    if (t === undefined) throw new SpecError(head.line, head.col, `the spec of ${nameTok.text} has no KAPI_END_SPEC: the input is truncated`);
    if (t.kind === 'ident' && t.text === 'KAPI_END_SPEC') return { name: nameTok.text, line: head.line, endLine: t.line, macros, fields };
    if (t.kind === 'ident' && t.text === 'DEFINE_KERNEL_API_SPEC') throw new SpecError(head.line, head.col, `the spec of ${nameTok.text} has no KAPI_END_SPEC before the next DEFINE_KERNEL_API_SPEC (line ${t.line})`);
    if (t.kind === 'punct' && t.text === ';') { i++; continue; }
    if (t.kind === 'punct' && t.text === '.' && tokens[i + 1]?.kind === 'ident' && tokens[i + 2]?.text === '=') {
      let j = i + 3;
      let depth = 0;
      const vals: Token[] = [];
      while (tokens[j] !== undefined && !(depth === 0 && (tokens[j].text === ',' || tokens[j].text === 'KAPI_END_SPEC'))) {
        if (tokens[j].text === '(' || tokens[j].text === '{') depth++;
        if (tokens[j].text === ')' || tokens[j].text === '}') depth--;
        vals.push(tokens[j]);
        j++;
      }
      const v = argValue(vals);
      fields.push({ name: tokens[i + 1].text, value: typeof v === 'object' ? v.expr : String(v), line: t.line });
      i = tokens[j]?.text === ',' ? j + 1 : j;
      continue;
    }
    if (t.kind !== 'ident') throw new SpecError(t.line, t.col, `expected a KAPI_* macro, found ${JSON.stringify(t.text)}`);
    if (tokens[i + 1]?.text !== '(') {
      macros.push({ name: t.text, args: [], line: t.line, col: t.col });
      i++;
      continue;
    }
    const open = tokens[i + 1];
    let depth = 0;
    let j = i + 1;
    const args: Token[][] = [[]];
    for (;;) {
      const u = tokens[j];
      if (u === undefined) throw new SpecError(open.line, open.col, `the ( of ${t.text} is never closed`);
      if (u.text === '(') { depth++; if (depth > 1) args[args.length - 1].push(u); } else if (u.text === ')') {
        depth--;
        if (depth === 0) break;
        args[args.length - 1].push(u);
      } else if (u.text === ',' && depth === 1) args.push([]);
      else args[args.length - 1].push(u);
      j++;
    }
    macros.push({ name: t.text, args: args.length === 1 && args[0].length === 0 ? [] : args.map(argValue), line: t.line, col: t.col });
    i = j + 1;
  }
}

/**
 * Parses spec block number `block` (1-based; the first by default) of `input` (a C file, a patch,
 * or an e-mail carrying a patch).
 * @example parseSpec(fs.readFileSync('seed.txt', 'utf8')).errors.length // 14
 */
export function parseSpec(input: string, block = 1): ParsedSpec {
  const tokens = lex(sourceLines(input));
  const all = heads(tokens);
  const h = all[block - 1];
  if (h === undefined) throw new SpecError(1, 1, `no spec block ${block}: the input has ${all.length}`);
  const { name, line, endLine, macros, fields } = calls(tokens, h.start);
  const spec: Record<string, unknown> = {
    name, line, endLine, params: [], errors: [], locks: [], signals: [], sideEffects: [], stateTransitions: [],
    protocolBehaviors: [], addressFamilies: [], capabilities: [], constraints: [], counts: {}, other: [], lines: {},
    characteristics: Object.fromEntries(fields.map((f) => [f.name, { value: f.value, line: f.line }])),
  };
  let open: { def: BlockDef; item: Record<string, unknown>; name: string; line: number; col: number } | null = null;
  const close = (): void => {
    if (open === null) return;
    if (open.def.single) spec[open.def.key] = open.item;
    else (spec[open.def.key] as Item[]).push(open.item as Item);
    open = null;
  };
  for (const m of macros) {
    if (open !== null && m.name === open.def.end) { close(); continue; }
    if (open !== null && m.name in open.def.inner) {
      const target = open.def.inner[m.name];
      if (typeof target === 'string') open.item[target] = m.args.length === 0 ? true : m.args.length === 1 ? m.args[0] : m.args;
      else target.forEach((f, k) => { (open as { item: Record<string, unknown> }).item[f] = m.args[k]; });
      continue;
    }
    const def = BLOCKS[m.name];
    if (def !== undefined) {
      if (open !== null) throw new SpecError(m.line, m.col, `${m.name} starts a block inside ${open.name} (line ${open.line}), which has no ${open.def.end}`);
      const item: Record<string, unknown> = { line: m.line };
      def.args.forEach((a, k) => { if (m.args[k] !== undefined) item[a] = m.args[k]; });
      open = { def, item, name: m.name, line: m.line, col: m.col };
      continue;
    }
    if (open !== null) {
      const extra = (open.item.extra ??= {}) as Record<string, unknown>;
      extra[m.name] = m.args;
      continue;
    }
    const single = SINGLES[m.name];
    if (single !== undefined) {
      spec[single] = m.args.length === 1 ? (typeof m.args[0] === 'object' ? m.args[0].expr : m.args[0]) : m.args;
      (spec.lines as Record<string, number>)[single] = m.line;
      continue;
    }
    if (m.name === 'KAPI_ERROR') {
      const item: Record<string, unknown> = { line: m.line };
      ERROR_ARGS.forEach((a, k) => { if (m.args[k] !== undefined) item[a] = m.args[k]; });
      (spec.errors as Item[]).push(item as Item);
      continue;
    }
    const count = /^KAPI_(.+)_COUNT$/.exec(m.name);
    if (count !== null && typeof m.args[0] === 'number') {
      (spec.counts as Record<string, unknown>)[count[1]] = { value: m.args[0], line: m.line };
      continue;
    }
    (spec.other as MacroCall[]).push(m);
  }
  if (open !== null) {
    const o = open as { name: string; line: number; col: number; def: BlockDef };
    throw new SpecError(o.line, o.col, `${o.name} has no ${o.def.end}`);
  }
  return spec as unknown as ParsedSpec;
}
