/**
 * Every validation rule id the engine can emit (its structural rules, the core invariants it evaluates,
 * the invariants of every published pack) is catalogued in docs/validation-rules.md with its severity,
 * and the page lists no rule that does not exist.
 */
import { readFileSync } from 'node:fs';
import { CORE_INVARIANTS, STRUCTURAL_RULES } from '../gateway/validation/rules.js';
import { PackCatalogue } from '../gateway/validation/packs.js';

const doc = readFileSync(new URL('../docs/validation-rules.md', import.meta.url), 'utf8');
const documented = Object.fromEntries([...doc.matchAll(/^\| `([a-z0-9-]+)` \| (error|warning|information) \|/gm)].map((m) => [m[1]!, m[2]!]));

describe('docs/validation-rules.md', () => {
  it('lists every rule id of the code and of the published packs with its severity, and nothing else', async () => {
    const catalogue = await PackCatalogue.load();
    const expected: Record<string, string> = { 'all-ok': 'information' };
    for (const [id, rule] of Object.entries(STRUCTURAL_RULES)) expected[id] = rule.severity;
    const severities = new Map<string, string>();
    for (const version of catalogue.versions) {
      for (const sd of version.resources.filter((r) => r.resourceType === 'StructureDefinition')) {
        for (const element of (sd.snapshot as { element: Array<{ constraint?: Array<{ key: string; severity: string }> }> }).element) {
          for (const c of element.constraint ?? []) severities.set(c.key, c.severity);
        }
      }
      for (const key of version.frenchMessages.keys()) expected[key] = severities.get(key) ?? 'missing from the artefacts';
    }
    for (const key of Object.keys(CORE_INVARIANTS)) expected[key] = key === 'dom-6' ? 'warning' : 'error';
    expect(catalogue.versions.length).toBeGreaterThan(0);
    expect(documented).toEqual(expected);
  });
});
