/**
 * First-start seeds from config/: group policies, profiles (with their rules), the device catalogue.
 * Each is idempotent (what exists is left alone), so every start runs them, from any number of processes.
 *
 * The one module that reads seed files. Not src/config.ts, which reads the settings every command needs
 * (groups.yaml among them: the group policies are settings the gateway applies, not only seeds): the seed
 * files are data for the store, read only when seeding, and the device catalogue only while the store has
 * none. Read in loadConfig, a large catalogue would be read, parsed and kept in the frozen configuration
 * by every process and command, and a bad seed file would stop commands that never seed. Where they are
 * comes from the configuration (seeds.profilesDir, seeds.devicesFile, under configDir).
 */
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Config } from '../config.ts';
import { importDeviceCatalogue } from '../devices/import-catalogue.ts';
import { seedProfiles } from '../profiles/repository.ts';
import { parseProfileSeedFiles, type ProfileSeed } from '../profiles/seed-files.ts';
import { countDeviceModels } from '../store/repositories/devices.ts';
import { saveGroup } from '../store/repositories/groups.ts';
import type { GroupPolicy } from '../subscribers/policy.ts';
import type { Db } from '../store/db.ts';

export interface SeedReport {
  groups: number;
  profilesCreated: string[];
  devicesImported: number | 'kept';
}

/** The groups of config/groups.yaml that the store does not have yet; returns how many were created. */
export async function seedGroups(db: Db, groups: Readonly<Record<string, GroupPolicy>>): Promise<number> {
  let created = 0;
  for (const [name, policy] of Object.entries(groups)) {
    if (await saveGroup(db, name, { description: null, policy }, { keepExisting: true })) created += 1;
  }
  return created;
}

/** The profile seeds of every *.yaml / *.yml in `directory`, by file name; a missing directory has none. */
export async function readProfileSeeds(directory: string): Promise<ProfileSeed[]> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const sources = names
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => join(directory, name));
  const files = await Promise.all(
    sources.map(async (source) => ({ source, text: await readFile(source, 'utf8') })),
  );
  return parseProfileSeedFiles(files);
}

export async function seedAll(db: Db, config: Config): Promise<SeedReport> {
  const groups = await seedGroups(db, config.groups);
  const profileSeeds = await readProfileSeeds(resolve(config.configDir, config.seeds.profilesDir));
  const profiles = await seedProfiles(db, profileSeeds);
  let devicesImported: number | 'kept' = 'kept';
  const devicesFile = resolve(config.configDir, config.seeds.devicesFile);
  if ((await countDeviceModels(db)) === 0 && existsSync(devicesFile)) {
    const report = await importDeviceCatalogue(db, readFileSync(devicesFile, 'utf8'), {
      actor: 'seed',
      source: devicesFile,
      skipInvalid: true,
    });
    devicesImported = report.models.added;
  }
  return { groups, profilesCreated: profiles.created, devicesImported };
}
