/**
 * First-start seeds from config/: group policies, profiles (with their rules), the device catalogue.
 * Each is idempotent (what exists is left alone), so every start runs them, from any number of processes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from '../config.ts';
import { importDeviceCatalogue } from '../devices/import-catalogue.ts';
import { seedProfiles } from '../profiles/repository.ts';
import { countDeviceModels } from '../store/repositories/devices.ts';
import type { GroupPolicy } from '../subscribers/policy.ts';
import { asJson, type Db } from '../store/db.ts';

export interface SeedReport {
  groups: number;
  profilesCreated: string[];
  devicesImported: number | 'kept';
}

export async function seedGroups(db: Db, groups: Readonly<Record<string, GroupPolicy>>): Promise<number> {
  let created = 0;
  for (const [name, policy] of Object.entries(groups)) {
    const rows = await db.query(
      `INSERT INTO groups (name, confirmation_mode, confirmation_timeout_seconds, security_method,
         quiet_hours_start, quiet_hours_end, time_zone, priority, daily_push_cap, policy)
       VALUES ($1, $2, $3, $4, $5::time, $6::time, $7, $8, $9, $10::jsonb)
       ON CONFLICT (name) DO NOTHING RETURNING name`,
      [
        name,
        policy.confirmation,
        policy.confirmationTimeoutMinutes * 60,
        policy.securityMethod,
        policy.quietHours?.start ?? null,
        policy.quietHours?.end ?? null,
        policy.timeZone ?? policy.quietHours?.timeZone ?? 'UTC',
        policy.priority,
        policy.dailyCap ?? null,
        asJson(policy),
      ],
    );
    created += rows.length;
  }
  return created;
}

export async function seedAll(db: Db, config: Config): Promise<SeedReport> {
  const groups = await seedGroups(db, config.groups);
  const profilesDir = resolve(config.configDir, config.seeds.profilesDir);
  const profiles = existsSync(profilesDir)
    ? await seedProfiles(db, profilesDir)
    : { created: [], existing: [] };
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
