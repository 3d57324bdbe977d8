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

describe('parseJsonBody', () => {
  it('accepts a plain resource', () => {
    expect(parseJsonBody('{"resourceType":"Patient","name":[{"given":["A"]}]}', 64)).toEqual({
      resourceType: 'Patient', name: [{ given: ['A'] }],
    });
  });

  it('rejects malformed JSON, non-objects, and arrays', () => {
    expect(errorCode(() => parseJsonBody('{"a":', 64))).toBe('json-malformed');
    expect(errorCode(() => parseJsonBody('42', 64))).toBe('json-not-object');
    expect(errorCode(() => parseJsonBody('[{}]', 64))).toBe('json-not-object');
    expect(errorCode(() => parseJsonBody('null', 64))).toBe('json-not-object');
  });

  it('counts arrays and objects as levels and stops at the limit', () => {
    expect(parseJsonBody('{"a":{"b":[1]}}', 3)).toBeDefined();
    expect(errorCode(() => parseJsonBody('{"a":{"b":[{}]}}', 3))).toBe('json-too-deep');
  });

  it('survives hostile nesting far beyond the stack without overflowing', () => {
    const deep = '{"a":'.repeat(100000) + '1' + '}'.repeat(100000);
    expect(errorCode(() => parseJsonBody(deep, 64))).toBe('json-too-deep');
  });

  it.each(['__proto__', 'constructor', 'prototype'])('rejects the key %s anywhere', (key) => {
    expect(errorCode(() => parseJsonBody(`{"a":[{"${key}":{"polluted":true}}]}`, 64))).toBe('json-forbidden-key');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
