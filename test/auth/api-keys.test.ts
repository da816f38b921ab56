import { describe, expect, it } from 'vitest';
import {
  createApiKey,
  generateApiKey,
  hashApiKey,
  listApiKeys,
  looksLikeApiKey,
  revokeApiKey,
  verifyApiKey,
} from '../../src/auth/api-keys.ts';
import { roleAllows, ROLES } from '../../src/auth/roles.ts';
import { forEachStore } from '../support/stores.ts';

describe('API key format and roles', () => {
  it('generates distinct 256-bit keys in one recognisable shape', () => {
    const keys = new Set(Array.from({ length: 100 }, generateApiKey));
    expect(keys.size).toBe(100);
    for (const key of keys) expect(looksLikeApiKey(key)).toBe(true);
    expect(looksLikeApiKey('otagw_short')).toBe(false);
  });

  it('hashes with SHA-256 (hex)', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('lets admin do what every role does, and no other role more than its own', () => {
    for (const required of ROLES) {
      expect(roleAllows('admin', required)).toBe(true);
      for (const held of ROLES)
        if (held !== 'admin') expect(roleAllows(held, required)).toBe(held === required);
    }
  });
});

describe('API keys in the store', () => {
  forEachStore(({ db }) => {
    it('stores only the hash, verifies the key, and stops verifying it once revoked', async () => {
      const { key, record } = await createApiKey(db(), { name: 'probe', role: 'network', createdBy: 'test' });
      const rows = await db().query<Record<string, unknown>>('SELECT * FROM api_keys WHERE id = $1', [
        record.id,
      ]);
      expect(JSON.stringify(rows)).not.toContain(key);
      expect(rows[0].key_hash).toBe(hashApiKey(key));
      expect((await verifyApiKey(db(), key))?.id).toBe(record.id);
      expect(await verifyApiKey(db(), generateApiKey())).toBeUndefined();
      expect((await revokeApiKey(db(), record.keyPrefix))?.id).toBe(record.id);
      expect(await verifyApiKey(db(), key)).toBeUndefined();
      expect((await listApiKeys(db())).some((k) => k.id === record.id)).toBe(false);
      expect((await listApiKeys(db(), { includeRevoked: true })).some((k) => k.id === record.id)).toBe(true);
    });

    it('refuses expired keys and unknown roles', async () => {
      const { key } = await createApiKey(db(), {
        name: 'old',
        role: 'care',
        expiresAt: new Date(Date.now() - 1000),
      });
      expect(await verifyApiKey(db(), key)).toBeUndefined();
      await expect(createApiKey(db(), { name: 'x', role: 'root' })).rejects.toMatchObject({
        code: 'API_KEY_UNKNOWN_ROLE',
      });
      await expect(createApiKey(db(), { name: '', role: 'care' })).rejects.toMatchObject({
        code: 'API_KEY_BAD_NAME',
      });
    });
  });
});
