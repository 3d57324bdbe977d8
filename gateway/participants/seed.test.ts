import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSeedFile } from './seed.js';

const dir = mkdtempSync(join(tmpdir(), 'passerelle-seed-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function seedFile(content: unknown): string {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(content));
  return file;
}

const clinic = { id: 'clinic-1', kind: 'provider', name: 'Clinic', clients: [{ clientId: 'clinic-1', secret: 'a-secret-in-clear-0001' }] };

describe('readSeedFile', () => {
  it('fills {{placeholders}} and validates participants', () => {
    const file = seedFile({ participants: [{ id: 'ins', kind: 'insurer', name: 'Insurer', adapter: 'fhir', adapterSettings: { baseUrl: '{{base}}/fhir' } }] });
    expect(readSeedFile(file, { base: 'http://127.0.0.1:9' }).participants[0]!.adapterSettings).toEqual({ baseUrl: 'http://127.0.0.1:9/fhir' });
  });

  it('lists every problem of an invalid seed', () => {
    const file = seedFile({ participants: [{ id: 'bad id!', kind: 'insurer', name: '' }] });
    expect(() => readSeedFile(file)).toThrow(/participants\.0\.id.*\n.*participants\.0\.name|participants\.0\.name/s);
    expect(() => readSeedFile(file)).toThrow(/an insurer needs an adapter/);
  });

  it('refuses secrets in clear when they are not allowed (production), accepting hashes', () => {
    expect(() => readSeedFile(seedFile({ participants: [clinic] }), {}, false)).toThrow(/secrets in clear for clinic-1.*hash-secret/);
    const hashed = { ...clinic, clients: [{ clientId: 'clinic-1', secretHash: 'scrypt$16384$8$1$c2FsdA$aGFzaA' }] };
    expect(readSeedFile(seedFile({ participants: [hashed] }), {}, false).participants).toHaveLength(1);
  });

  it('requires a callback secret with a callback URL', () => {
    const file = seedFile({ participants: [{ ...clinic, callbackUrl: 'https://clinic.example/cb' }] });
    expect(() => readSeedFile(file)).toThrow(/callbackUrl needs a callbackSecret/);
  });
});
