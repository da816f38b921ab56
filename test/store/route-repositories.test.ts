import { expect, it } from 'vitest';
import { luhnCheckDigit } from '../../src/devices/imei.ts';
import { findLatestDeviceReport, recordDeviceReport } from '../../src/store/repositories/device-reports.ts';
import {
  assignTacs,
  deviceModelKey,
  findModelOfImei,
  upsertDeviceModels,
} from '../../src/store/repositories/devices.ts';
import { findGroupSettings, listGroupSummaries, saveGroup } from '../../src/store/repositories/groups.ts';
import { groupPolicySchema } from '../../src/subscribers/policy.ts';
import {
  findSubscriber,
  findSubscriberInHandset,
  listSubscriberHandsets,
  lockSubscribersForTriggers,
  recordTriggerHandsets,
} from '../../src/subscribers/repository.ts';
import type { Db } from '../../src/store/db.ts';
import { forEachStore } from '../support/stores.ts';

/** A valid 15-digit IMEI of a TAC. */
function imeiOf(tac: string, serial = '000001'): string {
  const fourteen = tac + serial;
  return fourteen + luhnCheckDigit(fourteen);
}

async function catalogue(db: Db, maker: string, tacs: Record<string, string>): Promise<Map<string, number>> {
  const models = [...new Set(Object.values(tacs))];
  const { ids } = await upsertDeviceModels(
    db,
    models.map((model) => ({ manufacturer: maker, model, format: 'oma-cp' as const })),
  );
  const idOf = (model: string) => ids.get(deviceModelKey(maker, model))!;
  await assignTacs(
    db,
    Object.entries(tacs).map(([tac, model]) => ({ tac, modelId: idOf(model) })),
  );
  return new Map(models.map((model) => [model, idOf(model)]));
}

/** A subscriber whose SIM is now in the handset `imei`. */
async function subscriberIn(db: Db, imsi: string, msisdn: string, imei: string): Promise<string> {
  return db.transaction(async (tx) => {
    const subscriber = (await lockSubscribersForTriggers(tx, [{ imsi, msisdn }])).get(imsi)!;
    await recordTriggerHandsets(tx, [
      { subscriberId: subscriber.id, imei, at: new Date(), newHandset: true },
    ]);
    return subscriber.id;
  });
}

forEachStore(({ db }) => {
  it('finds a handset model by its 8-digit TAC before its 6-digit legacy TAC, and by the legacy one alone', async () => {
    const ids = await catalogue(db(), 'Legacy', { '44400001': 'Exact', '444000': 'Old' });
    expect(await findModelOfImei(db(), imeiOf('44400001'))).toMatchObject({ id: ids.get('Exact') });
    expect(await findModelOfImei(db(), imeiOf('44400099'))).toMatchObject({ id: ids.get('Old') });
    expect(await findModelOfImei(db(), imeiOf('44500001'))).toBeUndefined();
  });

  it('stores a device report with the subscriber in the handset and takes its firmware', async () => {
    const imei = imeiOf('55500001');
    const subscriberId = await subscriberIn(db(), '001019900000001', '4915199000001', imei);
    expect(await findSubscriberInHandset(db(), imei)).toMatchObject({ id: subscriberId });
    const stored = await recordDeviceReport(db(), imei, {
      properties: { firmware: '7.1', language: 'de' },
      configuration: { apn: 'internet' },
      software: [{ name: 'browser', version: '2' }],
      source: 'api',
    });
    expect(stored).toEqual({
      id: expect.any(Number),
      subscriberId,
      subscriber: { imsi: '001019900000001', msisdn: '4915199000001' },
    });
    expect(await findSubscriber(db(), { id: subscriberId })).toMatchObject({ firmwareVersion: '7.1' });
    expect(await findLatestDeviceReport(db(), subscriberId)).toMatchObject({
      id: stored.id,
      imei,
      source: 'api',
      properties: { firmware: '7.1', language: 'de' },
      configuration: { apn: 'internet' },
      software: [{ name: 'browser', version: '2' }],
    });
    expect(await listSubscriberHandsets(db(), subscriberId)).toEqual([
      { imei, firstSeenAt: expect.any(Date), lastSeenAt: expect.any(Date) },
    ]);
  });

  it('stores a report of a handset no subscriber is in without a subscriber', async () => {
    const imei = imeiOf('55500002');
    expect(await findSubscriberInHandset(db(), imei)).toBeUndefined();
    const stored = await recordDeviceReport(db(), imei, {
      properties: { firmware: '1.0' },
      configuration: {},
      software: [],
      source: 'sms',
    });
    expect(stored.subscriberId).toBeNull();
  });

  it('saves a group, replaces it, and reads it back with its subscriber count and settings', async () => {
    const policy = groupPolicySchema.parse({
      confirmation: 'ask-first',
      quietHours: { start: '22:00', end: '07:00', timeZone: 'Europe/Berlin' },
      dailyCap: 3,
    });
    await saveGroup(db(), 'repo-test', { description: 'first', policy });
    await saveGroup(db(), 'repo-test', { description: 'second', policy });
    expect(await listGroupSummaries(db(), 'repo-test')).toEqual([
      {
        name: 'repo-test',
        description: 'second',
        policy: expect.objectContaining({ dailyCap: 3 }),
        subscribers: 0,
      },
    ]);
    expect(await findGroupSettings(db(), 'repo-test')).toMatchObject({
      name: 'repo-test',
      confirmationMode: 'ask-first',
      quietHoursStart: '22:00:00',
      timeZone: 'Europe/Berlin',
      dailyPushCap: 3,
    });
    expect(await findGroupSettings(db(), 'no-such-group')).toBeUndefined();
  });
});
