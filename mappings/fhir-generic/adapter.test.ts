import { retryAfterMs } from './adapter.js';

describe('retryAfterMs', () => {
  const now = Date.parse('2026-11-22T10:00:00Z');

  it('reads delay-seconds and HTTP dates', () => {
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs('Sun, 22 Nov 2026 10:01:30 GMT', now)).toBe(90_000);
  });

  it('ignores absent, past, zero and unreadable values', () => {
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(retryAfterMs('0', now)).toBeUndefined();
    expect(retryAfterMs('Sun, 22 Nov 2026 09:00:00 GMT', now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
  });
});
