/**
 * Issue 15 #9: a push is never downgraded to unsigned. A device listing `none;USERPIN` under a NETWPIN
 * policy gets the strongest signed method it lists (USERPIN, its PIN in a text of its own); unsigned only
 * when the group's policy names `none`; a device listing no signed method fails NO_SIGNED_METHOD.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importDeviceCatalogue } from '../../src/devices/import-catalogue.ts';
import type { ResolvedDevice } from '../../src/devices/resolve-device.ts';
import { ProfileError } from '../../src/profiles/errors.ts';
import { chooseSecurity } from '../../src/provisioning/compose.ts';
import { getProvisioningRecord } from '../../src/provisioning/repository.ts';
import type { Actor } from '../../src/provisioning/types.ts';
import { describeEachStore } from '../support/stores.ts';
import { FINAL, imeiWith, startHarness, uniqueSubscriber, type Harness } from './harness.ts';

const NETWORK: Actor = { name: 'hlr-1', role: 'network' };
const UNSIGNED_FIRST_TAC = '99015501';
const UNSIGNED_ONLY_TAC = '99015502';

const CATALOGUE = [
  'tac,manufacturer,model,format,security_methods,max_segments,capabilities,notes',
  `${UNSIGNED_FIRST_TAC},Testco,Lists none first,oma-cp,none;USERPIN,6,data;browser,`,
  `${UNSIGNED_ONLY_TAC},Testco,Unsigned only,oma-cp,none,6,data;browser,`,
].join('\n');

function device(securityMethods: ResolvedDevice['securityMethods']): ResolvedDevice {
  return {
    format: 'oma-cp',
    securityMethods,
    capabilities: null,
    maxSegments: 6,
  } as unknown as ResolvedDevice;
}

describe('chooseSecurity', () => {
  it('takes the strongest signed method the device lists when it does not take the policy’s', () => {
    expect(chooseSecurity('NETWPIN', device(['none', 'USERPIN']))).toBe('USERPIN');
    expect(chooseSecurity('NETWPIN', device(['none', 'USERPIN', 'USERNETWPIN']))).toBe('USERNETWPIN');
    expect(chooseSecurity('USERPINMAC', device(['NETWPIN', 'none']))).toBe('NETWPIN');
  });
  it('keeps the policy’s method when the device takes it or the catalogue does not say', () => {
    expect(chooseSecurity('NETWPIN', device(['none', 'NETWPIN', 'USERNETWPIN']))).toBe('NETWPIN');
    expect(chooseSecurity('USERPIN', device(null))).toBe('USERPIN');
  });
  it('sends unsigned only under a policy that names none', () => {
    expect(chooseSecurity('none', device(['none', 'USERPIN']))).toBe('none');
    expect(chooseSecurity('none', device(['USERPIN']))).toBe('none');
    expect(() => chooseSecurity('NETWPIN', device(['none']))).toThrow(ProfileError);
    try {
      chooseSecurity('NETWPIN', device(['none']));
    } catch (error) {
      expect((error as ProfileError).code).toBe('NO_SIGNED_METHOD');
    }
  });
});

describeEachStore('a device listing none;USERPIN under a NETWPIN policy (%s store)', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind); // config/groups.yaml: group default signs with NETWPIN
    expect(h.config.groups.default!.securityMethod).toBe('NETWPIN');
    const report = await importDeviceCatalogue(h.store.db, CATALOGUE, {
      actor: 'test',
      source: 'never-unsigned.test.ts',
    });
    expect(report.outcome).not.toBe('refused');
  }, 30_000);
  afterAll(async () => h?.close());

  async function firstUse(tac: string, serial: number) {
    const subscriber = uniqueSubscriber();
    const outcome = await h.service.requestFirstUse({ ...subscriber, imei: imeiWith(tac, serial) }, NETWORK);
    expect(outcome.provisioningId).toBeDefined();
    const view = await h.waitForState(outcome.provisioningId!, FINAL, 20_000);
    return { subscriber, view, id: outcome.provisioningId! };
  }

  it('gets a USERPIN-signed push the handset verifies with the PIN of its text, never an unsigned one', async () => {
    const { subscriber, view, id } = await firstUse(UNSIGNED_FIRST_TAC, 1);
    expect(view.state).toBe('delivered');
    expect((await getProvisioningRecord(h.store.db, id))?.securityMethod).toBe('USERPIN');
    // The PIN's text may arrive after the push: the handset checks the MAC once it holds both.
    const inbox = h.sim.handset(subscriber.msisdn);
    const deadline = Date.now() + 10_000;
    while ((inbox.count() < 1 || inbox.texts().length < 1) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const [push] = inbox.pushes();
    expect(push!.sec).not.toBeNull();
    expect(push!.sec).not.toBe('none');
    expect(push!.macValid).toBe(true);
    expect(push!.pinFromText).toBe(true);
  });

  it('a device listing only none fails NO_SIGNED_METHOD under a signed policy', async () => {
    const { view, subscriber } = await firstUse(UNSIGNED_ONLY_TAC, 2);
    expect(view.state).toBe('failed');
    expect(JSON.stringify(view)).toContain('NO_SIGNED_METHOD');
    expect(h.sim.handset(subscriber.msisdn).count()).toBe(0);
  });
});
