import { describe, expect, it } from 'vitest';
import { sideBySide } from '../../src/console/pages/admin-version-diff.ts';
import { diffParameters, MASK } from '../../src/profiles/versions.ts';
import { fullParameters, fullParametersWith } from '../profiles/sample-parameters.ts';

describe('sideBySide: two profile versions, one row per setting', () => {
  it('puts every setting of both versions in a row and marks the API diff changes in place', () => {
    const before = fullParameters();
    const after = fullParametersWith((input) => {
      input.connections[0].apn = 'internet.northwind.example';
      input.browser.bookmarks.push({ name: 'Games', url: 'http://wap.northwind.example/games' });
      delete input.mms.name;
    });
    const rows = sideBySide(before, after);
    const byPath = new Map(rows.map((row) => [row.path, row]));
    expect(byPath.get('connections[0].apn')).toEqual({
      path: 'connections[0].apn',
      left: 'web.northwind.example',
      right: 'internet.northwind.example',
      change: 'changed',
      masked: false,
    });
    expect(byPath.get('mms.name')).toMatchObject({
      left: 'Northwind MMS',
      right: undefined,
      change: 'removed',
    });
    expect(byPath.get('browser.bookmarks[2].name')).toMatchObject({
      left: undefined,
      right: 'Games',
      change: 'added',
    });
    expect(byPath.get('proxies[0].port')).toMatchObject({ left: '9201', right: '9201', change: 'same' });
    // The rows that are not 'same' are exactly what GET /v1/profiles/:id/diff answers, in its order.
    const changed = rows.filter((row) => row.change !== 'same').map((row) => row.path);
    expect(changed).toEqual(diffParameters(before, after).map((change) => change.path));
    expect(sideBySide(before, after, { changesOnly: true }).map((row) => row.path)).toEqual(changed);
  });

  it('never shows a secret: unchanged ones read as the mask on both sides, changed ones are flagged', () => {
    const before = fullParameters();
    const after = fullParametersWith((input) => {
      input.connections[0].auth.password = 'new-web-secret';
    });
    const rows = sideBySide(before, after);
    const text = JSON.stringify(rows);
    for (const secret of ['web-secret', 'new-web-secret', 'mail-secret', 'server-secret'])
      expect(text).not.toContain(secret);
    expect(rows.find((row) => row.path === 'connections[0].auth.password')).toEqual({
      path: 'connections[0].auth.password',
      left: MASK,
      right: MASK,
      change: 'changed',
      masked: true,
    });
    expect(rows.find((row) => row.path === 'email.incoming.password')).toMatchObject({
      left: MASK,
      right: MASK,
      change: 'same',
      masked: false,
    });
  });

  it('has no changed row for two equal versions', () => {
    const rows = sideBySide(fullParameters(), fullParameters());
    expect(rows.length).toBeGreaterThan(20);
    expect(rows.every((row) => row.change === 'same' && row.left === row.right)).toBe(true);
    expect(sideBySide(fullParameters(), fullParameters(), { changesOnly: true })).toEqual([]);
  });
});
