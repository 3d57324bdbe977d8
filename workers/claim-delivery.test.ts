import { TransientDeliveryError } from '../mappings/adapter.js';
import { deliveryBackoff } from './claim-delivery.js';

describe('deliveryBackoff', () => {
  const backoff = deliveryBackoff(2000);

  it('doubles from the base delay: 2 s, 4 s, … 512 s over ten tries', () => {
    const waits = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => backoff(n, 'insurer', new TransientDeliveryError('503')));
    expect(waits).toEqual([2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000, 512000]);
    expect(waits.reduce((a, b) => (a as number) + (b as number), 0)).toBe(1022000); // ~17 minutes
  });

  it('waits as long as the insurer Retry-After asks when that is longer, capped at an hour', () => {
    expect(backoff(1, 'insurer', new TransientDeliveryError('429', 30_000))).toBe(30_000);
    expect(backoff(5, 'insurer', new TransientDeliveryError('429', 1_000))).toBe(32_000);
    expect(backoff(1, 'insurer', new TransientDeliveryError('429', 86_400_000))).toBe(3_600_000);
    expect(backoff(1, 'insurer', new Error('other'))).toBe(2000);
  });
});
