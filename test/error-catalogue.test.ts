/**
 * Every gateway error code is documented in docs/errors.md with its HTTP status, and the docs list no
 * code the gateway does not have.
 */
import { readFileSync } from 'node:fs';
import { GATEWAY_ERRORS } from '../gateway/fhir/outcomes.js';
import { DELIVERY_ERROR_SYSTEM } from '../gateway/claims/gateway-responses.js';

const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
const rows = [...doc.matchAll(/^\| `([a-z-]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])] as const);

describe('docs/errors.md', () => {
  it('documents every gateway error code with its HTTP status', () => {
    expect(Object.fromEntries(rows)).toEqual(GATEWAY_ERRORS);
  });

  it('documents the delivery error system', () => {
    expect(doc).toContain(DELIVERY_ERROR_SYSTEM);
    expect(doc).toContain('`insurer-refused`');
  });
});
