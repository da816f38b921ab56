import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ProfileError } from '../../src/profiles/errors.ts';
import { renderProfile } from '../../src/profiles/render.ts';
import { selectProfile } from '../../src/profiles/rules.ts';
import { parseProfileSeed } from '../../src/profiles/seed-files.ts';
import { readProfileSeeds } from '../../src/provisioning/seeds.ts';

const CONFIG_PROFILES = fileURLToPath(new URL('../../config/profiles/', import.meta.url));

const temporaryDirectories: string[] = [];
function directoryWith(files: Record<string, string>): string {
  const directory = mkdtempSync(join(tmpdir(), 'otagw-seeds-'));
  temporaryDirectories.push(directory);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(directory, name), content);
  return directory;
}
afterEach(() => {
  for (const directory of temporaryDirectories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<ProfileError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProfileError) return error;
    throw error;
  }
  throw new Error('expected a ProfileError');
}

describe('the seed profiles in config/profiles', () => {
  it('all parse, with unique ids and rules bound to their profile', async () => {
    const seeds = await readProfileSeeds(CONFIG_PROFILES);
    expect(seeds.map((seed) => seed.id)).toEqual([
      'northwind-corporate',
      'northwind-standard',
      'northwind-wap1',
    ]);
    for (const seed of seeds) {
      expect(seed.rules.length).toBeGreaterThan(0);
      for (const rule of seed.rules) expect(rule.profileId).toBe(seed.id);
    }
  });

  it('all render for OMA CP and Nokia OTA devices', async () => {
    for (const seed of await readProfileSeeds(CONFIG_PROFILES)) {
      expect(() => renderProfile(seed.parameters, { format: 'oma-cp' }), seed.id).not.toThrow();
      expect(() => renderProfile(seed.parameters, { format: 'nokia-ota' }), seed.id).not.toThrow();
    }
  });

  it('select the WAP 1 profile for a 6310i, corporate for the corporate group, standard otherwise', async () => {
    const rules = (await readProfileSeeds(CONFIG_PROFILES)).flatMap((seed) => seed.rules);
    const pick = (manufacturer: string, model: string, group: string, firmware?: string) =>
      selectProfile(rules, { manufacturer, model, group, ...(firmware ? { firmware } : {}) })?.profileId;
    expect(pick('Nokia', '6310i', 'corporate')).toBe('northwind-wap1');
    expect(pick('Nokia', '7650', 'prepaid', '4.39')).toBe('northwind-wap1');
    expect(pick('Nokia', '7650', 'prepaid', '5.1')).toBe('northwind-standard');
    expect(pick('Samsung', 'E250', 'corporate')).toBe('northwind-corporate');
    expect(pick('Samsung', 'E250', 'prepaid')).toBe('northwind-standard');
  });
});

describe('readProfileSeeds', () => {
  const valid =
    'id: one\nparameters:\n  name: One\n  connections: [{ id: A, bearer: GPRS, apn: a.example }]\n';

  it('reads *.yaml and *.yml in file-name order and ignores other files', async () => {
    const directory = directoryWith({
      'b.yml': valid.replace('id: one', 'id: two'),
      'a.yaml': valid,
      'notes.txt': 'not a seed',
    });
    const seeds = await readProfileSeeds(directory);
    expect(seeds.map((seed) => [seed.id, seed.source])).toEqual([
      ['one', join(directory, 'a.yaml')],
      ['two', join(directory, 'b.yml')],
    ]);
    expect(seeds[0].rules).toEqual([]);
  });

  it('has no seeds when the directory does not exist', async () => {
    expect(await readProfileSeeds(join(tmpdir(), 'otagw-no-such-directory-4f1c'))).toEqual([]);
  });

  it('names the file and the field of an invalid seed', async () => {
    const directory = directoryWith({
      'bad.yaml': valid.replace('apn: a.example', 'apn: a.example, dns: [x]'),
    });
    const error = await rejection(readProfileSeeds(directory));
    expect(error.code).toBe('PROFILE_INVALID');
    expect(error.message).toBe(
      `${join(directory, 'bad.yaml')}: parameters.connections[0].dns[0]: must be an IPv4 address`,
    );
  });

  it('rejects YAML that does not parse', async () => {
    const directory = directoryWith({ 'broken.yaml': 'id: [unclosed\n' });
    const error = await rejection(readProfileSeeds(directory));
    expect(error.code).toBe('PROFILE_INVALID');
    expect(error.message).toContain('broken.yaml: not valid YAML');
  });

  it('rejects two files with the same profile id', async () => {
    const directory = directoryWith({ 'a.yaml': valid, 'b.yaml': valid });
    const error = await rejection(readProfileSeeds(directory));
    expect(error.message).toBe(
      `${join(directory, 'b.yaml')}: profile id "one" is also used by ${join(directory, 'a.yaml')}`,
    );
  });
});

describe('parseProfileSeed', () => {
  it('rejects a bad id, a rule with a profileId of its own and an upside-down firmware range', () => {
    let caught: unknown;
    try {
      parseProfileSeed(
        {
          id: 'Has Spaces',
          parameters: { name: 'x', connections: [{ id: 'A', bearer: 'GPRS', apn: 'a' }] },
          rules: [
            { priority: 1, profileId: 'other' },
            { priority: 2, firmwareMin: '2', firmwareMax: '1' },
          ],
        },
        'inline',
      );
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProfileError);
    const issues = (caught as ProfileError).details.issues as Array<{ path: string }>;
    expect(issues.map((issue) => issue.path)).toEqual(['id', 'rules[0].profileId', 'rules[1].firmwareMax']);
  });
});
