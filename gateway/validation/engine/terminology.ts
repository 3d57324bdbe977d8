/**
 * Value set membership for bindings: each value set is expanded once, from its compose (whole code
 * systems, listed concepts, is-a filters, imported value sets) or its expansion. A value set that
 * draws on a code system the gateway does not hold in full (UCUM, BCP-47, ISO 4217, SNOMED CT...)
 * cannot be checked: membership then answers "unknown" and the engine reports nothing, rather than
 * reject codes it cannot judge.
 */
import type { Terminology } from './definitions.js';

type Json = Record<string, unknown>;

/** The codes of an expanded value set. */
export interface Expansion {
  /** "system|code" for every member. */
  readonly members: ReadonlySet<string>;
  /** Bare codes, for elements of type code (whose system the binding implies). */
  readonly codes: ReadonlySet<string>;
  readonly systems: ReadonlySet<string>;
}

/** Expands value sets on first use and answers membership questions. */
export class ValueSetIndex {
  private readonly expansions = new Map<string, Expansion | null>();

  constructor(private readonly sources: readonly Terminology[]) {}

  /** The expansion of a value set, or undefined when it cannot be expanded here. */
  expand(canonical: string): Expansion | undefined {
    const url = canonical.split('|')[0]!;
    if (!this.expansions.has(url)) {
      this.expansions.set(url, null); // guards against value sets that import themselves
      this.expansions.set(url, this.compute(url) ?? null);
    }
    return this.expansions.get(url) ?? undefined;
  }

  private valueSet(url: string): Json | undefined {
    for (const source of this.sources) {
      const found = source.valueSets.get(url);
      if (found) return found;
    }
    return undefined;
  }

  private codeSystem(url: string) {
    for (const source of this.sources) {
      const found = source.codeSystems.get(url);
      if (found) return found;
    }
    return undefined;
  }

  private compute(url: string): Expansion | undefined {
    const vs = this.valueSet(url);
    if (!vs) return undefined;
    const members = new Set<string>();
    const contains = (vs.expansion as { contains?: Json[] } | undefined)?.contains;
    if (contains && !vs.compose) {
      const walk = (items: Json[]) => items.forEach((c) => {
        if (c.system && c.code) members.add(`${String(c.system)}|${String(c.code)}`);
        walk((c.contains as Json[] | undefined) ?? []);
      });
      walk(contains);
      return build(members);
    }
    const compose = vs.compose as { include?: Json[]; exclude?: Json[] } | undefined;
    if (!compose?.include) return undefined;
    for (const include of compose.include) {
      const codes = this.includeCodes(include);
      if (!codes) return undefined;
      codes.forEach((c) => members.add(c));
    }
    for (const exclude of compose.exclude ?? []) {
      this.includeCodes(exclude)?.forEach((c) => members.delete(c));
    }
    return build(members);
  }

  private includeCodes(include: Json): string[] | undefined {
    const system = include.system as string | undefined;
    const imported = (include.valueSet as string[] | undefined) ?? [];
    let codes: string[] | undefined;
    if (system) {
      const concepts = include.concept as Array<{ code: string }> | undefined;
      const filters = include.filter as Array<{ property: string; op: string; value: string }> | undefined;
      if (concepts) {
        codes = concepts.map((c) => `${system}|${c.code}`);
      } else {
        const cs = this.codeSystem(system);
        if (!cs || !cs.complete) return undefined;
        if (filters?.length) {
          const selected = this.filtered(cs.codes, filters);
          if (!selected) return undefined;
          codes = selected.map((c) => `${system}|${c}`);
        } else {
          codes = [...cs.codes.keys()].map((c) => `${system}|${c}`);
        }
      }
    }
    for (const other of imported) {
      const expansion = this.expand(other);
      if (!expansion) return undefined;
      const members = [...expansion.members];
      codes = codes ? codes.filter((c) => expansion.members.has(c)) : members;
    }
    return codes;
  }

  private filtered(codes: ReadonlyMap<string, readonly string[]>, filters: Array<{ property: string; op: string; value: string }>): string[] | undefined {
    let selected: string[] | undefined;
    for (const f of filters) {
      if (f.property !== 'concept' || !['is-a', 'descendent-of'].includes(f.op)) return undefined;
      const found = new Set<string>();
      const walk = (code: string) => (codes.get(code) ?? []).forEach((child) => { found.add(child); walk(child); });
      if (f.op === 'is-a' && codes.has(f.value)) found.add(f.value);
      walk(f.value);
      selected = selected ? selected.filter((c) => found.has(c)) : [...found];
    }
    return selected;
  }
}

function build(members: Set<string>): Expansion {
  const codes = new Set<string>();
  const systems = new Set<string>();
  for (const m of members) {
    const bar = m.indexOf('|');
    codes.add(m.slice(bar + 1));
    systems.add(m.slice(0, bar));
  }
  return { members, codes, systems };
}
