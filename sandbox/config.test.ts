import { readSandboxConfig } from './config.js';

describe('sandbox configuration', () => {
  test('defaults', () => {
    expect(readSandboxConfig({})).toEqual({
      port: 8081,
      host: '127.0.0.1',
      gatewayUrl: 'http://127.0.0.1:8080',
      pendDelayMs: 2000,
      control: false,
      batchPollMs: 1000,
      logLevel: 'info',
    });
  });

  test('reads SANDBOX_* variables', () => {
    const config = readSandboxConfig({
      SANDBOX_PORT: '9090',
      SANDBOX_GATEWAY_URL: 'http://gateway:8080',
      SANDBOX_SEED_FILE: '/tmp/seed.json',
      SANDBOX_PEND_DELAY_MS: '50',
      SANDBOX_CONTROL: 'true',
      SANDBOX_BATCH_DIR: '/srv/batches',
      SANDBOX_BATCH_POLL_MS: '250',
    });
    expect(config).toMatchObject({
      port: 9090,
      gatewayUrl: 'http://gateway:8080',
      seedFile: '/tmp/seed.json',
      pendDelayMs: 50,
      control: true,
      batchDir: '/srv/batches',
      batchPollMs: 250,
    });
  });

  test('refuses invalid values, naming each variable', () => {
    expect(() => readSandboxConfig({ SANDBOX_PORT: 'eighty', SANDBOX_GATEWAY_URL: 'not a url' })).toThrow(/SANDBOX_PORT[\s\S]*SANDBOX_GATEWAY_URL/);
    expect(() => readSandboxConfig({ SANDBOX_BATCH_POLL_MS: '0' })).toThrow(/SANDBOX_BATCH_POLL_MS/);
  });
});
