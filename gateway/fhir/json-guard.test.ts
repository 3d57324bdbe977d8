import { parseJsonBody } from './json-guard.js';
import { OperationOutcomeError } from './outcomes.js';

function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof OperationOutcomeError) return err.outcome.issue?.[0]?.details?.coding?.[0]?.code;
    throw err;
  }
  return undefined;
}

const limits = { maxDepth: 64, maxArrayLength: 1000 };

describe('parseJsonBody', () => {
  it('accepts a plain resource', () => {
    expect(parseJsonBody('{"resourceType":"Patient","name":[{"given":["A"]}]}', limits)).toEqual({
      resourceType: 'Patient', name: [{ given: ['A'] }],
    });
  });

  it('rejects malformed JSON, non-objects, and arrays', () => {
    expect(errorCode(() => parseJsonBody('{"a":', limits))).toBe('json-malformed');
    expect(errorCode(() => parseJsonBody('42', limits))).toBe('json-not-object');
    expect(errorCode(() => parseJsonBody('[{}]', limits))).toBe('json-not-object');
    expect(errorCode(() => parseJsonBody('null', limits))).toBe('json-not-object');
  });

  it('counts arrays and objects as levels and stops at the limit', () => {
    expect(parseJsonBody('{"a":{"b":[1]}}', { maxDepth: 3, maxArrayLength: 1000 })).toBeDefined();
    expect(errorCode(() => parseJsonBody('{"a":{"b":[{}]}}', { maxDepth: 3, maxArrayLength: 1000 }))).toBe('json-too-deep');
  });

  it('survives hostile nesting far beyond the stack without overflowing', () => {
    const deep = '{"a":'.repeat(100000) + '1' + '}'.repeat(100000);
    expect(errorCode(() => parseJsonBody(deep, limits))).toBe('json-too-deep');
  });

  it('refuses an array longer than the limit, wherever it is', () => {
    expect(parseJsonBody(`{"a":[${'1,'.repeat(999)}1]}`, limits)).toBeDefined();
    expect(errorCode(() => parseJsonBody(`{"a":{"b":[${'1,'.repeat(1000)}1]}}`, limits))).toBe('json-array-too-long');
  });

  it.each(['__proto__', 'constructor', 'prototype'])('rejects the key %s anywhere', (key) => {
    expect(errorCode(() => parseJsonBody(`{"a":[{"${key}":{"polluted":true}}]}`, limits))).toBe('json-forbidden-key');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
