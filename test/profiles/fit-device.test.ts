import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.ts';
import { resolveDevice, type ResolvedDevice } from '../../src/devices/resolve-device.ts';
import { getVersion, listRules } from '../../src/profiles/repository.ts';
import { selectProfile } from '../../src/profiles/rules.ts';
import { validateProfileParameters, type ProfileParameters } from '../../src/profiles/schema.ts';
import { fitToDevice, PushComposer, type FitTarget } from '../../src/provisioning/compose.ts';
import { seedAll } from '../../src/provisioning/seeds.ts';
import { listDeviceModels } from '../../src/store/repositories/devices.ts';
import { policyFor } from '../../src/subscribers/policy.ts';
import { describeEachStore, openTestStore, type TestStore } from '../support/stores.ts';
import { FULL_INPUT, fullParameters } from './sample-parameters.ts';

const OMA_CP: FitTarget = {
  format: 'oma-cp',
  capabilities: {},
  maxSegments: null,
  sec: 'NETWPIN',
  mode: 'udh',
};
const segmentsFor = (parameters: ProfileParameters, target: Partial<FitTarget> = {}): number =>
  fitToDevice(parameters, { ...OMA_CP, ...target }).segmentCount;

describe('fitToDevice: the push fits the handset by leaving out what the profile lets go', () => {
  it('sends everything when the device gives no limit or the whole set fits', () => {
    const whole = segmentsFor(fullParameters());
    for (const maxSegments of [null, whole]) {
      const fitted = fitToDevice(fullParameters(), { ...OMA_CP, maxSegments });
      expect(fitted.fits).toBe(true);
      expect(fitted.omittedToFit).toEqual([]);
      expect(fitted.omitted).toEqual([]);
      expect(fitted.segmentCount).toBe(whole);
    }
  });

  it('leaves out e-mail, then bookmarks, then DM by default, and stops as soon as the push fits', () => {
    const parameters = fullParameters();
    expect(parameters.omitToFit).toBeUndefined();
    const withoutEmail = segmentsFor(parameters, { capabilities: { supportsEmail: false } });
    expect(withoutEmail).toBeLessThan(segmentsFor(parameters));
    const fitted = fitToDevice(parameters, { ...OMA_CP, maxSegments: withoutEmail });
    expect(fitted).toMatchObject({ fits: true, omittedToFit: ['email'], segmentCount: withoutEmail });
    expect(fitted.omitted).toContain('email');

    const tight = fitToDevice(parameters, { ...OMA_CP, maxSegments: 1 });
    expect(tight.omittedToFit).toEqual(['email', 'browser.bookmarks', 'dm']);
    // MMS is not in the default order: the push does not fit, and MMS is still in it.
    expect(tight.fits).toBe(false);
    expect(tight.omitted).not.toContain('mms');
  });

  it('follows the order the profile declares, MMS included, and leaves out nothing with []', () => {
    const parameters = { ...fullParameters(), omitToFit: ['dm' as const, 'mms' as const, 'email' as const] };
    const withoutDm = segmentsFor(parameters, { capabilities: { supportsDm: false } });
    expect(fitToDevice(parameters, { ...OMA_CP, maxSegments: withoutDm }).omittedToFit).toEqual(['dm']);
    const tight = fitToDevice(parameters, { ...OMA_CP, maxSegments: 1 });
    expect(tight.omittedToFit).toEqual(['dm', 'mms', 'email']);
    expect(tight.omitted).toEqual(expect.arrayContaining(['dm', 'mms', 'email']));
    expect(tight.omitted).not.toContain('browser.bookmarks');

    const nothing = fitToDevice({ ...fullParameters(), omitToFit: [] }, { ...OMA_CP, maxSegments: 1 });
    expect(nothing).toMatchObject({ fits: false, omittedToFit: [], omitted: [] });
  });

  it('does not count parts the device cannot take anyway as left out to fit', () => {
    const capabilities = { supportsEmail: false, supportsDm: false };
    const withoutBookmarks = segmentsFor(fullParameters(), {
      capabilities: { ...capabilities, supportsBookmarks: false },
    });
    const fitted = fitToDevice(fullParameters(), { ...OMA_CP, capabilities, maxSegments: withoutBookmarks });
    expect(fitted.omittedToFit).toEqual(['browser.bookmarks']);
    expect(fitted.omitted).toEqual(expect.arrayContaining(['email', 'dm', 'browser.bookmarks']));
  });

  it('sizes the push as it is split: TLV parts carry 127 octets, UDH parts 128 (docs/protocol.md §5.2)', () => {
    const udh = segmentsFor(fullParameters(), { mode: 'udh' });
    const tlv = segmentsFor(fullParameters(), { mode: 'tlv' });
    expect(tlv).toBeGreaterThan(udh);
    const fitted = fitToDevice(fullParameters(), { ...OMA_CP, mode: 'tlv', maxSegments: udh });
    expect(fitted.omittedToFit).toEqual(['email']);
    const unsigned = fitToDevice(fullParameters(), { ...OMA_CP, sec: 'none' });
    expect(unsigned.compiled.wbxml).toEqual(fitToDevice(fullParameters(), OMA_CP).compiled.wbxml);
  });

  it('refuses an omitToFit part it does not know, or one named twice, naming the field', () => {
    const unknown = validateProfileParameters({ ...FULL_INPUT, omitToFit: ['email', 'proxies'] });
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) expect(unknown.issues.map((issue) => issue.path)).toEqual(['omitToFit[1]']);
    const twice = validateProfileParameters({ ...FULL_INPUT, omitToFit: ['dm', 'dm'] });
    expect(twice.ok).toBe(false);
    if (!twice.ok) expect(twice.issues).toEqual([{ path: 'omitToFit', message: 'names a part twice' }]);
  });
});

const CONFIG_DIR = resolve(import.meta.dirname, '../../config');

describeEachStore('the seeds provision every model config/devices.csv lists (%s store)', (kind) => {
  let store: TestStore;
  let config: Config;
  beforeAll(async () => {
    store = await openTestStore(kind);
    config = loadConfig({ env: {}, configDir: CONFIG_DIR, overrides: { log: { level: 'silent' } } });
    await seedAll(store.db, config);
  }, 60_000);
  afterAll(async () => {
    await store?.dispose();
  });

  async function provisionableModels(): Promise<ResolvedDevice[]> {
    const devices: ResolvedDevice[] = [];
    for (const model of await listDeviceModels(store.db)) {
      if (model.model === '*') continue;
      const resolution = await resolveDevice(store.db, model, {
        operatorDefault: config.devices.operatorDefault,
      });
      if (resolution.outcome === 'supported') devices.push(resolution.device);
    }
    return devices;
  }

  it('fits the profile the seed rules choose into max_segments, for every group and segment mode', async () => {
    const devices = await provisionableModels();
    // The 33 models of config/devices.csv with a format (the Nokia 3310 says none).
    expect(devices).toHaveLength(33);
    const rules = await listRules(store.db, { enabledOnly: true });
    const composer = new PushComposer(store.db);
    const misfits: string[] = [];
    for (const device of devices) {
      for (const group of Object.keys(config.groups)) {
        const subject = { manufacturer: device.manufacturer!, model: device.model!, group };
        const rule = selectProfile(rules, subject);
        const version = await getVersion(store.db, rule!.profileId, rule!.profileVersion ?? undefined);
        const policyMethod = policyFor(config.groups, group).securityMethod;
        for (const mode of ['udh', 'tlv'] as const) {
          const push = await composer.compose(
            { versionId: version!.id, device, policyMethod, mode },
            { imsi: '262019876543210', reference: 7 },
          );
          const sent = push.signed?.packed.segments.length;
          if (sent === undefined || sent > device.maxSegments!)
            misfits.push(
              `${subject.manufacturer} ${subject.model} ${group} ${mode}: ${push.fitted.segmentCount}`,
            );
        }
      }
    }
    expect(misfits).toEqual([]);
  });

  it('gives a Nokia 6230i the standard profile without bookmarks: 6 SMS, where the whole set took 7', async () => {
    const device = (await provisionableModels()).find((candidate) => candidate.model === '6230i')!;
    const rule = selectProfile(await listRules(store.db, { enabledOnly: true }), {
      manufacturer: 'Nokia',
      model: '6230i',
      group: 'default',
    });
    const version = await getVersion(store.db, rule!.profileId);
    const push = await new PushComposer(store.db).compose(
      { versionId: version!.id, device, policyMethod: 'NETWPIN', mode: 'udh' },
      { imsi: '262019876543210', reference: 7 },
    );
    expect(device.maxSegments).toBe(6);
    expect(push.fitted.omittedToFit).toEqual(['browser.bookmarks']);
    expect(push.signed!.packed.segments).toHaveLength(6);
    const whole = fitToDevice(version!.parameters, {
      ...OMA_CP,
      capabilities: { supportsDm: false },
    });
    expect(whole.segmentCount).toBe(7);
  });
});
