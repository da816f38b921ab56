/**
 * What the provisioning side reads through repositories instead of its own SQL: the open provisionings
 * by state (the otagw_provisionings_open gauge), a profile version by its id, whether the device
 * catalogue has been imported.
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { createProfile, getVersion, getVersionById, saveVersion } from '../../src/profiles/repository.ts';
import { countOpenProvisioningsByState, insertProvisioning } from '../../src/provisioning/repository.ts';
import type { ProvisioningState } from '../../src/provisioning/types.ts';
import type { Db } from '../../src/store/db.ts';
import { countDeviceModels, upsertDeviceModels } from '../../src/store/repositories/devices.ts';
import { forEachStore } from '../support/stores.ts';
import { FULL_INPUT, TYPICAL_CP_INPUT } from '../profiles/sample-parameters.ts';
import { uniqueSubscriber } from './harness.ts';

async function provisioningIn(db: Db, state: ProvisioningState): Promise<void> {
  const subscriber = uniqueSubscriber();
  const row = await db.one<{ id: string }>(
    `INSERT INTO subscribers (imsi, msisdn) VALUES ($1, $2) RETURNING id`,
    [subscriber.imsi, subscriber.msisdn],
  );
  const id = randomUUID();
  await insertProvisioning(db, {
    id,
    subscriberId: row!.id,
    source: 'test',
    reason: null,
    actor: { name: 'test' },
    state,
    priority: 1,
    idempotencyKey: `test.${id}`,
    cause: 'test',
  });
}

forEachStore(({ db }) => {
  it('counts the provisionings under way by state, leaving out the final ones', async () => {
    expect(await countOpenProvisioningsByState(db())).toEqual({});
    for (const state of ['requested', 'queued', 'queued', 'awaiting-confirmation', 'failed'] as const) {
      await provisioningIn(db(), state);
    }
    expect(await countOpenProvisioningsByState(db())).toEqual({
      requested: 1,
      queued: 2,
      'awaiting-confirmation': 1,
    });
  });

  it('finds a profile version by its id, as getVersion finds it by profile and number', async () => {
    const { profile, version } = await createProfile(db(), {
      name: `by-id-${randomUUID().slice(0, 8)}`,
      parameters: TYPICAL_CP_INPUT,
      createdBy: 'test',
    });
    const second = await saveVersion(db(), profile.id, { parameters: FULL_INPUT, createdBy: 'test' });
    expect(await getVersionById(db(), version.id)).toEqual(await getVersion(db(), profile.id, 1));
    expect(await getVersionById(db(), second.id)).toEqual(await getVersion(db(), profile.id));
    expect(await getVersionById(db(), randomUUID())).toBeUndefined();
  });

  it('counts the models of the device catalogue', async () => {
    const before = await countDeviceModels(db());
    await upsertDeviceModels(db(), [
      { manufacturer: 'Countcorp', model: 'One', format: 'oma-cp' },
      { manufacturer: 'Countcorp', model: 'Two', format: 'nokia-ota' },
    ]);
    expect(await countDeviceModels(db())).toBe(before + 2);
  });
});
