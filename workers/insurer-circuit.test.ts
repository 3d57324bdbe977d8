import { InsurerCircuit } from './insurer-circuit.js';

describe('InsurerCircuit', () => {
  let now = 0;
  const circuit = () => new InsurerCircuit({ failureThreshold: 3, cooldownMs: 1000, maxCooldownMs: 4000 }, () => now);
  beforeEach(() => {
    now = 0;
  });

  it('stays closed below the threshold and opens at it', () => {
    const c = circuit();
    expect([c.failed(), c.failed()]).toEqual([false, false]);
    expect(c.admit()).toBe(0);
    expect(c.failed()).toBe(true);
    expect(c.state).toBe('open');
    expect(c.admit()).toBe(1000);
    now = 400;
    expect(c.admit()).toBe(600);
  });

  it('lets one trial through after the cooldown; its success closes the circuit', () => {
    const c = circuit();
    c.failed(); c.failed(); c.failed();
    now = 1000;
    expect(c.state).toBe('half-open');
    expect(c.admit()).toBe(0); // the trial
    expect(c.admit()).toBeGreaterThan(0); // others wait for it
    expect(c.succeeded()).toBe(true);
    expect(c.state).toBe('closed');
    expect(c.admit()).toBe(0);
  });

  it('re-opens with a doubled cooldown when the trial fails, up to the maximum', () => {
    const c = circuit();
    c.failed(); c.failed(); c.failed();
    const cooldowns: number[] = [];
    for (let i = 0; i < 4; i++) {
      now += 100_000;
      expect(c.admit()).toBe(0);
      expect(c.failed()).toBe(true);
      cooldowns.push(c.admit());
    }
    expect(cooldowns).toEqual([2000, 4000, 4000, 4000]);
  });

  it('forgets failures after a success', () => {
    const c = circuit();
    c.failed(); c.failed();
    c.succeeded();
    c.failed(); c.failed();
    expect(c.state).toBe('closed');
  });
});
