import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('gives demo mode, all roles and the documented defaults with an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      mode: 'demo', role: 'all', host: '127.0.0.1', port: 8080, queuePrefix: undefined, tokenTtlSeconds: 300,
      bodyLimitBytes: 10 * 1024 * 1024, jsonMaxDepth: 64, databaseUrl: undefined, redisUrl: undefined,
      delivery: { attempts: 10, backoffMs: 2000, timeoutMs: 15000, concurrency: 20 },
    });
    expect(config.dataDir).toMatch(/\/data$/);
  });

  it('reports every invalid variable at once, by name', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({ PORT: 'eighty', PASSERELLE_ROLE: 'both', REDIS_URL: 'localhost:6379', TOKEN_TTL_SECONDS: '86400' });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const names = error!.problems.map((p) => p.split(':')[0]);
    expect(names).toEqual(expect.arrayContaining(['PORT', 'PASSERELLE_ROLE', 'REDIS_URL', 'TOKEN_TTL_SECONDS']));
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).port).toBe(8080);
  });

  it('needs participants in production', () => {
    expect(() => loadConfig({ PASSERELLE_MODE: 'production' })).toThrow(/production mode needs participants/);
    expect(loadConfig({ PASSERELLE_MODE: 'production', SEED_FILE: 'seed.json' }).mode).toBe('production');
  });
});
