import { describe, expect, test } from '@jest/globals';
import { BodyBudget } from './body-budget.js';
import { OperationOutcomeError } from '../fhir/outcomes.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('BodyBudget', () => {
  test('bodies that fit are handled at once; the bytes come back when given back, once', async () => {
    const budget = new BodyBudget(100);
    const a = await budget.take(40);
    const b = await budget.take(60);
    expect(budget.used).toBe(100);
    a();
    a();
    expect(budget.used).toBe(60);
    b();
    expect(budget.used).toBe(0);
  });

  test('a body that does not fit waits, and later ones wait behind it in arrival order', async () => {
    const budget = new BodyBudget(100);
    const first = await budget.take(80);
    const order: string[] = [];
    const big = budget.take(50).then((give) => (order.push('big'), give));
    const small = budget.take(10).then((give) => (order.push('small'), give));
    await tick();
    expect(order).toEqual([]);
    expect(budget.waiting).toBe(2);
    first();
    (await big)();
    (await small)();
    expect(order).toEqual(['big', 'small']);
    expect(budget.used).toBe(0);
  });

  test('a body larger than the whole budget runs alone, once the others are answered', async () => {
    const budget = new BodyBudget(100);
    const small = await budget.take(10);
    let huge: (() => void) | undefined;
    void budget.take(500).then((give) => (huge = give));
    await tick();
    expect(huge).toBeUndefined();
    small();
    await tick();
    expect(huge).toBeDefined();
    expect(budget.used).toBe(500);
    huge!();
    expect(await budget.take(500).then((give) => (give(), 'alone'))).toBe('alone');
  });

  test('no room within the wait: 503 gateway-busy with Retry-After, and the queue moves on', async () => {
    const budget = new BodyBudget(100, 50);
    const held = await budget.take(100);
    const refused = await budget.take(10).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(OperationOutcomeError);
    expect((refused as OperationOutcomeError).status).toBe(503);
    expect((refused as OperationOutcomeError).retryAfterSeconds).toBe(1);
    expect(JSON.stringify((refused as OperationOutcomeError).outcome)).toContain('gateway-busy');
    expect(budget.waiting).toBe(0);
    held();
    (await budget.take(100))();
  });
});
