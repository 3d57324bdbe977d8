import { readFileSync } from 'node:fs';
import { FLAT_REJECT_CODES, IPM_ERROR_CODES } from './flat-codes.js';

// The codes are a public contract: docs/sandbox.md must list each one, with its status for IPM errors.
const docs = readFileSync(new URL('../../docs/sandbox.md', import.meta.url), 'utf8');

/** Rows `| \`CODE\` | second cell |` of the first table after `section`. */
function catalogued(section: string): Map<string, string> {
  const start = docs.indexOf(section);
  expect(start).toBeGreaterThanOrEqual(0);
  const table = docs.slice(start, docs.indexOf('\n\n', docs.indexOf('| Code |', start)));
  return new Map([...table.matchAll(/^\| `([A-Z_]+)` \| ([^|]+) \|/gm)].map((m) => [m[1] ?? '', (m[2] ?? '').trim()]));
}

describe('flat-format code catalogue', () => {
  test('docs/sandbox.md lists exactly the reject codes the code uses', () => {
    expect([...catalogued('Reject codes (`FLAT_REJECT_CODES`').keys()].sort()).toEqual(Object.keys(FLAT_REJECT_CODES).sort());
  });

  test('docs/sandbox.md lists exactly the IPM error codes, each with its status', () => {
    const documented = catalogued('Errors are `{"error"');
    expect([...documented.keys()].sort()).toEqual(Object.keys(IPM_ERROR_CODES).sort());
    for (const [code, status] of Object.entries(IPM_ERROR_CODES)) {
      expect([code, documented.get(code)]).toEqual([code, status === null ? "rule's" : String(status)]);
    }
  });
});
