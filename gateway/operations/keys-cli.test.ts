import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SigningKeys } from '../auth/signing-keys.js';
import { openDatabase } from '../store/database.js';
import { migrate } from '../store/migrate.js';
import { createTestDatabase } from '../../test/harness.js';
import { rotateGatewayKey } from './keys-cli.js';

describe('passerelle keys rotate', () => {
  it('makes a new key current and keeps the old one published, for the deployment the configuration names', async () => {
    const database = await createTestDatabase();
    const dataDir = mkdtempSync(join(tmpdir(), 'passerelle-keys-'));
    const db = await openDatabase({ databaseUrl: database.url, dataDir });
    try {
      await migrate(db);
      const keys = await SigningKeys.open(db);
      const before = (await keys.current()).kid;
      const kid = await rotateGatewayKey({ databaseUrl: database.url, dataDir });
      expect(kid).not.toBe(before);
      expect((await keys.current()).kid).toBe(kid); // a running process signs with it at once
      expect((await keys.publicJwks()).keys.map((k) => k.kid)).toEqual([kid, before]);
    } finally {
      await db.close();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
