import { describe, expect, it } from 'vitest';
import { seedGroups } from '../../src/provisioning/seeds.ts';
import { GroupPolicies } from '../../src/subscribers/group-policies.ts';
import { parseGroupPolicy, policyFor } from '../../src/subscribers/policy.ts';
import { forEachStore } from '../support/stores.ts';

forEachStore(({ db }) => {
  describe('group policies from the store', () => {
    it('prefers the stored policy to the config, and keeps the config for groups the store lacks', async () => {
      await seedGroups(db(), { prepaid: parseGroupPolicy({ confirmation: 'ask-first', priority: 7 }) });
      const fromConfig = {
        prepaid: parseGroupPolicy({}),
        roaming: parseGroupPolicy({ securityMethod: 'USERPIN' }),
      };
      const policies = await new GroupPolicies(db(), fromConfig).all();
      expect(policies.prepaid).toMatchObject({ confirmation: 'ask-first', priority: 7 });
      expect(policies.roaming?.securityMethod).toBe('USERPIN');
      expect(policyFor(policies, 'nobody').confirmation).toBe('automatic');
    });

    it('caches the table for ttlMs, then reads the edit; a stored document that no longer reads falls back', async () => {
      await seedGroups(db(), { vip: parseGroupPolicy({ priority: 1 }) });
      const cached = new GroupPolicies(db(), { vip: parseGroupPolicy({ priority: 9 }) }, 60_000);
      expect((await cached.all()).vip?.priority).toBe(1);
      await db().query(`UPDATE groups SET policy = $1::jsonb WHERE name = 'vip'`, [
        JSON.stringify({ priority: 2 }),
      ]);
      expect((await cached.all()).vip?.priority).toBe(1);
      cached.clear();
      expect((await cached.all()).vip?.priority).toBe(2);
      await db().query(`UPDATE groups SET policy = $1::jsonb WHERE name = 'vip'`, [
        JSON.stringify({ confirmation: 'sometimes' }),
      ]);
      expect(
        (await new GroupPolicies(db(), { vip: parseGroupPolicy({ priority: 9 }) }, 0).all()).vip?.priority,
      ).toBe(9);
    });
  });
});
