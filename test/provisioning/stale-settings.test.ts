import { describe, expect, it } from 'vitest';
import type { ProfileParameters } from '../../src/profiles/schema.ts';
import { namesAnySetting, observedSettingsOf, settingsNotIn } from '../../src/provisioning/stale-settings.ts';

describe('the settings comparison the stale-config trigger and device reports share', () => {
  it('reads apn, proxy and mmsc from a report and nothing else', () => {
    expect(
      observedSettingsOf({ apn: 'web.example', proxy: '10.0.0.1:8080', mmsc: 'http://mms/', language: 'de' }),
    ).toEqual({ apn: 'web.example', proxy: '10.0.0.1:8080', mmsc: 'http://mms/' });
    expect(observedSettingsOf({ apn: 42, proxy: '', mmsc: null })).toEqual({});
    expect(namesAnySetting(observedSettingsOf({ language: 'de' }))).toBe(false);
    expect(namesAnySetting({ mmsc: 'http://mms/' })).toBe(true);
  });

  it('names each observed value the version does not carry; a proxy by its host, any case and port', () => {
    // Only the parts the comparison reads.
    const content = {
      connections: [{ id: 'web', apn: 'web.example' }],
      proxies: [{ id: 'p', address: 'proxy.example' }],
      mms: { mmscUrl: 'http://mms.example/' },
    } as unknown as ProfileParameters;
    expect(settingsNotIn(content, { apn: 'web.example', proxy: 'http://PROXY.example:8080/' })).toEqual([]);
    expect(settingsNotIn(content, { apn: 'wap.example', mmsc: 'http://old.example/' })).toEqual([
      'apn wap.example',
      'mmsc http://old.example/',
    ]);
    expect(settingsNotIn(content, {})).toEqual([]);
  });
});
