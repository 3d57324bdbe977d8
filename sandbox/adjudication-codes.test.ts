import { readFileSync } from 'node:fs';
import { ADJUDICATION_ERRORS, ADJUDICATION_REASONS } from './adjudication-codes.js';

// The codes are a public contract: docs/sandbox.md must list each one in its catalogue tables.
const docs = readFileSync(new URL('../docs/sandbox.md', import.meta.url), 'utf8');

function catalogued(section: string): string[] {
  const start = docs.indexOf(section);
  const table = docs.slice(start, docs.indexOf('\n\n', docs.indexOf('| Code |', start)));
  return [...table.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1] ?? '');
}

describe('adjudication code catalogue', () => {
  test('docs/sandbox.md lists exactly the error codes the code uses', () => {
    expect(catalogued('Error codes, system').sort()).toEqual(Object.keys(ADJUDICATION_ERRORS).sort());
  });

  test('docs/sandbox.md lists exactly the item reasons the code uses', () => {
    expect(catalogued('Item reasons, system').sort()).toEqual(Object.keys(ADJUDICATION_REASONS).sort());
  });
});
