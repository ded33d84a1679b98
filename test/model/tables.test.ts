// Well-formedness of the model's tables: unique clause ids, known errnos, a citation of a kernel
// function on every clause, profiles that only register families the model has tables for.

import {
  ALL_CLAUSES, errnoNumber, FAMILY_TABLES, familyTable, NPROTO, PROFILES, SOCK_MAX,
} from '../../model';

describe('clause tables', () => {
  it('ids are unique', () => {
    const ids = ALL_CLAUSES.map((c) => c.id);
    const dup = ids.filter((id, i) => ids.indexOf(id) !== i);
    expect(dup).toEqual([]);
  });

  it.each(ALL_CLAUSES.map((c) => [c.id, c]))('%s has a known errno, a title, inputs and a file:function citation', (_id, c) => {
    if (c.errno !== null && c.errno !== 'errno') expect(errnoNumber(c.errno)).toBeDefined();
    expect(c.title.length).toBeGreaterThan(10);
    expect(c.reads.length).toBeGreaterThan(0);
    expect(c.cite).toMatch(/^[a-z0-9_/.-]+\.c:[a-z0-9_]+/);
  });

  it('every family table has rows and a unique family number in range', () => {
    const nums = FAMILY_TABLES.map((t) => t.family);
    expect(new Set(nums).size).toBe(nums.length);
    for (const t of FAMILY_TABLES) {
      expect(t.rows.length).toBeGreaterThan(0);
      expect(t.family).toBeGreaterThan(0);
      expect(t.family).toBeLessThan(NPROTO);
      expect(familyTable(t.family)).toBe(t);
    }
  });
});

describe('kernel profiles', () => {
  it('names are unique', () => {
    expect(new Set(PROFILES.map((p) => p.name)).size).toBe(PROFILES.length);
  });

  it.each(PROFILES.map((p) => [p.name, p]))('%s registers only families the model has tables for, with sane lists', (_n, p) => {
    for (const f of p.families) expect(familyTable(f)).toBeDefined();
    for (const [type, list] of [...Object.entries(p.inetsw), ...Object.entries(p.inet6sw)]) {
      expect(Number(type)).toBeLessThan(SOCK_MAX);
      for (const proto of list) {
        expect(proto).toBeGreaterThanOrEqual(0);
        expect(proto).toBeLessThan(263);
      }
      expect(new Set(list).size).toBe(list.length);
    }
    for (const n of p.netlink) expect(n >= 0 && n < 32).toBe(true);
    expect(p.sources.length).toBeGreaterThan(0);
  });
});
