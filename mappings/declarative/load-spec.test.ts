import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMappingSpec, parseMappingSpec } from './load-spec.js';

const EXAMPLES = fileURLToPath(new URL('../examples/', import.meta.url));
const ipmJson = (): Record<string, unknown> => JSON.parse(readFileSync(join(EXAMPLES, 'ipm-json.mapping.json'), 'utf8')) as Record<string, unknown>;

// The tests break specs on purpose, anywhere in them: a loose type is what they need.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

/** The message parseMappingSpec throws for a spec changed by `change`. */
function problemsOf(change: (spec: Loose) => void): string {
  const spec = ipmJson();
  change(spec);
  try {
    parseMappingSpec(spec, 'test.json');
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the spec was accepted');
}

describe('loadMappingSpec', () => {
  it('loads both examples by a path relative to the mappings folder, once', () => {
    const ipm = loadMappingSpec('examples/ipm-json.mapping.json');
    expect(ipm.id).toBe('ipm-json');
    expect(loadMappingSpec('examples/ipm-json.mapping.json')).toBe(ipm);
    expect(loadMappingSpec(join(EXAMPLES, 'csv-batch.mapping.json')).format).toBe('csv');
  });

  it('says when the file is missing or not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mapping-spec-'));
    try {
      writeFileSync(join(dir, 'broken.json'), '{ "id": ');
      expect(() => loadMappingSpec('broken.json', dir)).toThrow(/mapping spec broken.json: not JSON/);
      expect(() => loadMappingSpec('absent.json', dir)).toThrow(/mapping spec absent.json: cannot be read \(ENOENT\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parseMappingSpec', () => {
  it('lists every shape problem with its path', () => {
    const message = problemsOf((spec) => {
      delete spec.insurerName;
      spec.claim.fields[2].type = 'number';
      spec.claim.fields[3].maxLenght = 3;
      spec.reply.currency = 'xof';
      spec.transport.submit.method = 'DELETE';
    });
    expect(message).toMatch(/^mapping spec test.json has 5 problem\(s\)/);
    expect(message).toContain('insurerName:');
    expect(message).toContain('claim.fields[2].type:');
    expect(message).toContain('claim.fields[3]: Unrecognized key: "maxLenght"');
    expect(message).toContain('reply.currency: an ISO 4217 code (XOF)');
    expect(message).toContain('transport.submit.method:');
  });

  it('refuses a field with both a path and a value, a bad pattern, and a name used twice', () => {
    const message = problemsOf((spec) => {
      spec.claim.fields[0].value = 'x';
      spec.claim.fields[1].pattern = '([';
      spec.claim.after[0].name = 'memberNumber';
    });
    expect(message).toContain('claim.fields[0].path: a field has either a path or a value');
    expect(message).toContain('claim.fields[1].pattern: not a regular expression');
    expect(message).toContain('claim.after[0].name: "memberNumber" is used twice');
  });

  it('ties the format to its transport and its CSV settings', () => {
    expect(problemsOf((spec) => { spec.format = 'csv'; })).toEqual(expect.stringContaining('csv: required when format is csv'));
    expect(problemsOf((spec) => { spec.format = 'csv'; })).toContain('transport.kind: format csv goes through the csv-batch transport');
    expect(problemsOf((spec) => { spec.csv = { delimiter: ';' }; })).toContain('csv: only for format csv');
  });

  it('refuses expressions that do not compile, name unknown variables or fail on an empty claim', () => {
    const message = problemsOf((spec) => {
      spec.claim.fields[0].path = '%claim.item.where(';
      spec.claim.fields[1].path = '%provder.identifier.value';
      spec.claim.items.fields[0].path = 'sequence.noSuchFunction()';
      spec.reply.outcome.path = '%claim.status';
    });
    expect(message).toContain('claim.fields[0].path: does not compile');
    expect(message).toContain('claim.fields[1].path: unknown variable %provder');
    expect(message).toContain('claim.items.fields[0].path: fails on an empty claim');
    expect(message).toContain('reply.outcome.path: unknown variable %claim: reply expressions read the reply only');
  });

  it('refuses accepted paths that are not Claim elements', () => {
    expect(problemsOf((spec) => { spec.claim.accepts.push('Claim.item.productorService'); }))
      .toMatch(/claim\.accepts\[\d+\]: "Claim\.item\.productorService" is not an element of an R4 Claim/);
  });
});
