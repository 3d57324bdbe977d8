/**
 * Values a deployment creates on its first start and keeps for good (its id, the token-signing key),
 * shared by every process on the same database.
 */
import type { Queryable } from './database.js';

/**
 * The stored value, created with make() on first use only (make may be costly: an RSA key takes
 * 100–300 ms); concurrent first uses agree on one value.
 */
export async function deploymentSetting(db: Queryable, key: string, make: () => string): Promise<string> {
  const read = async () => (await db.query<{ value: string }>('select value from gateway_settings where key = $1', [key])).rows[0]?.value;
  const stored = await read();
  if (stored !== undefined) return stored;
  await db.query('insert into gateway_settings (key, value) values ($1, $2) on conflict (key) do nothing', [key, make()]);
  return (await read())!;
}
