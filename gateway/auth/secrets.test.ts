import { hashSecret, verifySecret } from './secrets.js';

describe('client secrets', () => {
  it('stores a salted scrypt hash that verifies the secret and nothing else', async () => {
    const hash = await hashSecret('demo-clinic-secret');
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(hash).not.toContain('demo-clinic-secret');
    expect(await hashSecret('demo-clinic-secret')).not.toBe(hash); // salted
    expect(await verifySecret('demo-clinic-secret', hash)).toBe(true);
    expect(await verifySecret('demo-clinic-secreT', hash)).toBe(false);
    expect(await verifySecret('', hash)).toBe(false);
  });

  it('refuses malformed stored hashes', async () => {
    expect(await verifySecret('x', 'plain-text-secret')).toBe(false);
    expect(await verifySecret('x', 'bcrypt$1$2$3$4$5')).toBe(false);
  });
});
