/**
 * The body budget over HTTP (gateway/http/body-budget.ts): with room for one body at a time, concurrent
 * submissions and validations are handled one after the other and every one is answered, which holds
 * only if each answered request gives its bytes back (a leak would leave the next ones waiting, then 503).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { claimBundle, startTestGateway, type TestGateway } from './harness.js';

describe('body budget', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ env: { BODY_BUDGET_BYTES: '1' } });
  });
  afterAll(() => gw.stop());

  test('with room for one body, 30 concurrent requests are all answered, refusals and acceptances alike', async () => {
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => {
      if (i % 3 === 2) return gw.post('/fhir/Claim/$submit', { resourceType: 'Bundle', type: 'collection', entry: [] });
      return gw.submit(claimBundle(undefined, { identifier: `budget-${i}-${Date.now()}` }));
    }));
    expect(answers.filter((a) => a.status === 202)).toHaveLength(20);
    expect(answers.filter((a) => a.status === 422 && a.body.resourceType === 'OperationOutcome')).toHaveLength(10);
    // Nobody waited for the 10 s after which a body gets 503 gateway-busy.
    expect(answers.some((a) => a.status === 503)).toBe(false);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
