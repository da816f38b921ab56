import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ProfileError } from '../../src/profiles/errors.ts';
import {
  createProfile,
  createRule,
  deleteRule,
  findProfile,
  findProfileByName,
  getProfile,
  getRule,
  getVersion,
  listProfiles,
  listRules,
  listVersions,
  saveVersion,
  seedProfiles,
  updateRule,
} from '../../src/profiles/repository.ts';
import { selectProfile } from '../../src/profiles/rules.ts';
import { readProfileSeeds } from '../../src/provisioning/seeds.ts';
import { contentHash } from '../../src/profiles/versions.ts';
import type { Db } from '../../src/store/db.ts';
import { FULL_INPUT, TYPICAL_CP_INPUT, typicalParameters } from './sample-parameters.ts';
import { forEachStore } from '../support/stores.ts';

const CONFIG_PROFILES = fileURLToPath(new URL('../../config/profiles/', import.meta.url));

async function rejection(promise: Promise<unknown>): Promise<ProfileError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProfileError) return error;
    throw error;
  }
  throw new Error('expected a ProfileError');
}

let nameCounter = 0;
const uniqueName = (base: string) => `${base}-${++nameCounter}`;

describe('profile repository', () => {
  forEachStore((store) => {
    let db: Db;

    beforeAll(async () => {
      db = store.db();
      await db.query(`INSERT INTO groups (name) VALUES ('corporate'), ('prepaid') ON CONFLICT DO NOTHING`);
    });

    describe('profiles and versions', () => {
      it('creates a profile with version 1, validated and stored with defaults applied', async () => {
        const { profile, version } = await createProfile(db, {
          name: uniqueName('typical'),
          description: 'typical CP',
          parameters: TYPICAL_CP_INPUT,
          createdBy: 'alice',
          note: 'first',
        });
        expect(profile.latestVersion).toBe(1);
        expect(version).toMatchObject({
          profileId: profile.id,
          version: 1,
          createdBy: 'alice',
          note: 'first',
        });
        expect(version.parameters).toEqual(typicalParameters());
        expect(version.contentHash).toBe(contentHash(typicalParameters()));
        expect(version.createdAt).toBeInstanceOf(Date);
        expect(await getProfile(db, profile.id)).toEqual(profile);
        expect(await findProfileByName(db, profile.name)).toEqual(profile);
      });

      it('finds a profile by its id or by its name, and nothing for an unknown one of either', async () => {
        const { profile } = await createProfile(db, {
          name: uniqueName('either-way'),
          parameters: TYPICAL_CP_INPUT,
          createdBy: 'alice',
        });
        expect(await findProfile(db, profile.id)).toEqual(profile);
        expect(await findProfile(db, profile.name)).toEqual(profile);
        expect(await findProfile(db, '00000000-0000-4000-8000-000000000000')).toBeUndefined();
        expect(await findProfile(db, 'no-such-profile')).toBeUndefined();
      });

      it('refuses invalid parameters before writing anything', async () => {
        const name = uniqueName('invalid');
        const error = await rejection(
          createProfile(db, {
            name,
            parameters: { name: 'x', connections: [{ id: 'A', bearer: 'GPRS' }] },
            createdBy: 'a',
          }),
        );
        expect(error.code).toBe('PROFILE_INVALID');
        expect(error.message).toContain('connections[0].apn');
        expect(await findProfileByName(db, name)).toBeUndefined();
      });

      it('saves each change as a new version and keeps the old ones as they were', async () => {
        const { profile } = await createProfile(db, {
          name: uniqueName('versions'),
          parameters: TYPICAL_CP_INPUT,
          createdBy: 'alice',
        });
        const changed = structuredClone(TYPICAL_CP_INPUT) as typeof TYPICAL_CP_INPUT & {
          connections: Array<{ apn?: string }>;
        };
        changed.connections[0].apn = 'internet.northwind.example';
        const v2 = await saveVersion(db, profile.id, {
          parameters: changed,
          createdBy: 'bob',
          note: 'new APN',
        });
        const v3 = await saveVersion(db, profile.id, { parameters: FULL_INPUT, createdBy: 'carol' });
        expect([v2.version, v3.version]).toEqual([2, 3]);
        const versions = await listVersions(db, profile.id);
        expect(versions.map((version) => [version.version, version.createdBy, version.note])).toEqual([
          [1, 'alice', null],
          [2, 'bob', 'new APN'],
          [3, 'carol', null],
        ]);
        expect(versions[0].parameters.connections[0].apn).toBe('web.northwind.example');
        expect((await getVersion(db, profile.id))?.version).toBe(3);
        expect((await getVersion(db, profile.id, 2))?.parameters.connections[0].apn).toBe(
          'internet.northwind.example',
        );
        expect(await getVersion(db, profile.id, 9)).toBeUndefined();
        expect((await getProfile(db, profile.id))?.latestVersion).toBe(3);
      });

      it('numbers concurrent saves consecutively', async () => {
        const { profile } = await createProfile(db, {
          name: uniqueName('concurrent'),
          parameters: TYPICAL_CP_INPUT,
          createdBy: 'a',
        });
        const saved = await Promise.all(
          Array.from({ length: 5 }, (_, i) =>
            saveVersion(db, profile.id, { parameters: TYPICAL_CP_INPUT, createdBy: `u${i}` }),
          ),
        );
        expect(saved.map((version) => version.version).sort()).toEqual([2, 3, 4, 5, 6]);
      });

      it('cannot change or delete a stored version', async () => {
        const { profile } = await createProfile(db, {
          name: uniqueName('immutable'),
          parameters: TYPICAL_CP_INPUT,
          createdBy: 'a',
        });
        await expect(
          db.query(`UPDATE profile_versions SET note = 'x' WHERE profile_id = $1`, [profile.id]),
        ).rejects.toThrow(/immutable/);
        await expect(
          db.query(`DELETE FROM profile_versions WHERE profile_id = $1`, [profile.id]),
        ).rejects.toThrow(/immutable/);
      });

      it('saving to a profile that does not exist is UNKNOWN_REFERENCE', async () => {
        const error = await rejection(
          saveVersion(db, '00000000-0000-4000-8000-000000000000', {
            parameters: TYPICAL_CP_INPUT,
            createdBy: 'a',
          }),
        );
        expect(error.code).toBe('UNKNOWN_REFERENCE');
      });

      it('lists profiles by name', async () => {
        const names = (await listProfiles(db)).map((profile) => profile.name);
        expect(names).toEqual([...names].sort());
        expect(names.length).toBeGreaterThan(0);
      });
    });

    describe('rules', () => {
      it('creates, reads, updates and deletes a rule', async () => {
        const { profile } = await createProfile(db, {
          name: uniqueName('ruled'),
          parameters: TYPICAL_CP_INPUT,
          createdBy: 'a',
        });
        const rule = await createRule(db, {
          priority: 40,
          manufacturer: 'Nokia',
          model: '6310i',
          firmwareMin: '5.0',
          profileId: profile.id,
          createdBy: 'alice',
          note: 'WAP 1 phones',
        });
        expect(rule).toMatchObject({
          priority: 40,
          manufacturer: 'Nokia',
          model: '6310i',
          firmwareMin: '5.0',
          profileId: profile.id,
          profileVersion: null,
          enabled: true,
          note: 'WAP 1 phones',
          createdBy: 'alice',
        });
        expect(rule).not.toHaveProperty('group');
        expect(await getRule(db, rule.id)).toEqual(rule);

        const updated = await updateRule(db, rule.id, {
          priority: 30,
          model: null,
          group: 'prepaid',
          enabled: false,
          profileVersion: 1,
        });
        expect(updated).toMatchObject({
          priority: 30,
          manufacturer: 'Nokia',
          group: 'prepaid',
          enabled: false,
          profileVersion: 1,
        });
        expect(updated).not.toHaveProperty('model');
        expect(updated!.updatedAt.getTime()).toBeGreaterThanOrEqual(rule.updatedAt.getTime());

        expect(await deleteRule(db, rule.id)).toBe(true);
        expect(await deleteRule(db, rule.id)).toBe(false);
        expect(await getRule(db, rule.id)).toBeUndefined();
        expect(await updateRule(db, rule.id, { priority: 1 })).toBeUndefined();
      });

      it('validates rules and names a missing group or profile', async () => {
        const { profile } = await createProfile(db, {
          name: uniqueName('checked'),
          parameters: TYPICAL_CP_INPUT,
          createdBy: 'a',
        });
        const invalid = await rejection(
          createRule(db, {
            priority: 1,
            firmwareMin: '9',
            firmwareMax: '1',
            profileId: profile.id,
            createdBy: 'a',
          }),
        );
        expect(invalid.code).toBe('PROFILE_INVALID');
        expect(invalid.message).toContain('firmwareMax: is below firmwareMin');
        const missingGroup = await rejection(
          createRule(db, { priority: 1, group: 'no-such-group', profileId: profile.id, createdBy: 'a' }),
        );
        expect(missingGroup.code).toBe('UNKNOWN_REFERENCE');
        expect(missingGroup.message).toContain('group "no-such-group"');
      });

      it('lists rules in selection order and feeds selectProfile', async () => {
        const { profile: low } = await createProfile(db, {
          name: uniqueName('low'),
          parameters: TYPICAL_CP_INPUT,
          createdBy: 'a',
        });
        const { profile: high } = await createProfile(db, {
          name: uniqueName('high'),
          parameters: TYPICAL_CP_INPUT,
          createdBy: 'a',
        });
        const model = uniqueName('Model');
        await createRule(db, { priority: 9000, model, profileId: low.id, createdBy: 'a' });
        await createRule(db, { priority: 8000, model, profileId: high.id, createdBy: 'a' });
        await createRule(db, { priority: 7000, model, profileId: low.id, enabled: false, createdBy: 'a' });
        const enabled = await listRules(db, { enabledOnly: true });
        const priorities = enabled.map((rule) => rule.priority);
        expect(priorities).toEqual([...priorities].sort((a, b) => a - b));
        expect(enabled.some((rule) => !rule.enabled)).toBe(false);
        expect((await listRules(db)).some((rule) => !rule.enabled)).toBe(true);
        const chosen = selectProfile(
          enabled.filter((rule) => rule.model === model),
          { manufacturer: 'Any', model, group: 'prepaid' },
        );
        expect(chosen?.profileId).toBe(high.id);
      });
    });

    describe('seedProfiles', () => {
      it('loads config/profiles once, with version 1 and rules, and leaves them alone after', async () => {
        const first = await seedProfiles(db, await readProfileSeeds(CONFIG_PROFILES));
        expect(first).toEqual({
          created: ['northwind-corporate', 'northwind-standard', 'northwind-wap1'],
          existing: [],
        });
        const second = await seedProfiles(db, await readProfileSeeds(CONFIG_PROFILES));
        expect(second).toEqual({
          created: [],
          existing: ['northwind-corporate', 'northwind-standard', 'northwind-wap1'],
        });

        const seeds = await readProfileSeeds(CONFIG_PROFILES);
        for (const seed of seeds) {
          const profile = await findProfileByName(db, seed.id);
          expect(profile?.latestVersion).toBe(1);
          expect(profile?.createdBy).toBe('seed');
          const versions = await listVersions(db, profile!.id);
          expect(versions).toHaveLength(1);
          expect(versions[0].parameters).toEqual(seed.parameters);
          expect(versions[0].note).toContain(seed.source);
          const rules = (await listRules(db)).filter((rule) => rule.profileId === profile!.id);
          expect(rules).toHaveLength(seed.rules.length);
        }
      });

      it('is safe to run from several processes at once', async () => {
        const directory = mkdtempSync(join(tmpdir(), 'otagw-seed-race-'));
        try {
          const id = uniqueName('race');
          writeFileSync(
            join(directory, 'race.yaml'),
            `id: ${id}\nparameters:\n  name: Race\n  connections: [{ id: A, bearer: GPRS, apn: a.example }]\nrules:\n  - priority: 5\n    model: ${id}\n`,
          );
          const seeds = await readProfileSeeds(directory);
          const results = await Promise.all([
            seedProfiles(db, seeds),
            seedProfiles(db, seeds),
            seedProfiles(db, seeds),
          ]);
          expect(results.flatMap((result) => result.created)).toEqual([id]);
          const profile = await findProfileByName(db, id);
          expect(await listVersions(db, profile!.id)).toHaveLength(1);
          expect((await listRules(db)).filter((rule) => rule.model === id)).toHaveLength(1);
        } finally {
          rmSync(directory, { recursive: true, force: true });
        }
      });

      it('creates nothing of a seed whose rule names a missing group', async () => {
        const directory = mkdtempSync(join(tmpdir(), 'otagw-seed-group-'));
        try {
          const id = uniqueName('orphan');
          writeFileSync(
            join(directory, 'orphan.yaml'),
            `id: ${id}\nparameters:\n  name: Orphan\n  connections: [{ id: A, bearer: GPRS, apn: a.example }]\nrules:\n  - priority: 5\n    group: nobody\n`,
          );
          const error = await rejection(seedProfiles(db, await readProfileSeeds(directory)));
          expect(error.code).toBe('UNKNOWN_REFERENCE');
          expect(await findProfileByName(db, id)).toBeUndefined();
        } finally {
          rmSync(directory, { recursive: true, force: true });
        }
      });
    });
  });
});
