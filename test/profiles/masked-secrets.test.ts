import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeXml } from '../../codecs/xml/serialize-xml.ts';
import { ProfileError } from '../../src/profiles/errors.ts';
import { renderProfile } from '../../src/profiles/render.ts';
import { createProfile, getVersion, saveVersion } from '../../src/profiles/repository.ts';
import { keepMaskedSecrets, MASK, maskParameters } from '../../src/profiles/versions.ts';
import { readJson, startApi, type ApiHarness } from '../http/support/api-harness.ts';
import { describeEachStore, openTestStore, type TestStore } from '../support/stores.ts';
import { fullParameters, fullParametersWith } from './sample-parameters.ts';

function refusal(run: () => unknown): ProfileError {
  try {
    run();
  } catch (error) {
    if (error instanceof ProfileError) return error;
    throw error;
  }
  throw new Error('expected a ProfileError');
}

describe('keepMaskedSecrets: "***" posted back keeps the previous version\'s secret', () => {
  it('takes every masked secret from the previous version and leaves the rest as posted', () => {
    const previous = fullParameters();
    const posted = maskParameters(previous);
    posted.name = 'Renamed';
    const kept = keepMaskedSecrets(posted, previous);
    expect(kept).toEqual({ ...previous, name: 'Renamed' });
    expect(JSON.stringify(kept)).not.toContain(MASK);
  });

  it('matches connections and proxies by id, so reordering them keeps each its own secret', () => {
    const previous = fullParametersWith((input) => {
      input.connections[1].auth = { type: 'PAP', user: 'mms', password: 'mms-secret' };
    });
    const posted = maskParameters(previous);
    posted.connections.reverse();
    const kept = keepMaskedSecrets(posted, previous);
    expect(kept.connections.map((connection) => [connection.id, connection.auth?.password])).toEqual(
      [...previous.connections].reverse().map((connection) => [connection.id, connection.auth?.password]),
    );
  });

  it('keeps a new secret as posted, and refuses a mask with no secret behind it, naming the field', () => {
    const previous = fullParameters();
    const posted = maskParameters(previous);
    posted.connections[0].auth!.password = 'brand-new';
    expect(keepMaskedSecrets(posted, previous).connections[0].auth!.password).toBe('brand-new');

    posted.connections[0].id = 'RENAMED';
    const renamed = refusal(() => keepMaskedSecrets(maskParameters(posted), previous));
    expect(renamed.code).toBe('SECRET_MASKED');
    expect(renamed.details.path).toBe('connections[0].auth.password');
    expect(renamed.message).toMatch(/^connections\[0\]\.auth\.password: /);
    expect(refusal(() => keepMaskedSecrets(maskParameters(previous), undefined)).code).toBe('SECRET_MASKED');
  });

  it('keeps the secret parms of a raw OMA CP document by name and order', () => {
    const raw = (first: string, second: string) => ({
      name: 'raw',
      connections: [],
      proxies: [],
      rawOmaCp:
        `<wap-provisioningdoc version="1.0"><characteristic type="NAPDEF"><parm name="NAPID" value="A"/>` +
        `<parm name="AUTHSECRET" value="${first}"/></characteristic><characteristic type="NAPDEF">` +
        `<parm name="NAPID" value="B"/><parm name="AUTHSECRET" value="${second}"/></characteristic></wap-provisioningdoc>`,
    });
    const kept = keepMaskedSecrets(raw(MASK, 'changed'), raw('one', 'two'));
    expect(kept.rawOmaCp).toBe(raw('one', 'changed').rawOmaCp);
    const none = refusal(() =>
      keepMaskedSecrets(raw(MASK, MASK), { ...raw('one', 'two'), rawOmaCp: '<x/>' }),
    );
    expect(none.details.path).toBe('rawOmaCp (AUTHSECRET)');
  });
});

describeEachStore('a version saved from a masked read sends the real secrets (%s store)', (kind) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(kind);
  }, 60_000);
  afterAll(async () => {
    await store?.dispose();
  });

  it('stores the previous secrets, so the handset gets AUTHSECRET as before and never "***"', async () => {
    const { profile, version } = await createProfile(store.db, {
      name: `masked-${kind}`,
      parameters: fullParameters(),
      createdBy: 'test',
    });
    const posted = maskParameters(version.parameters);
    posted.connections[0].apn = 'changed.northwind.example';
    const saved = await saveVersion(store.db, profile.id, { parameters: posted, createdBy: 'test' });
    const stored = await getVersion(store.db, profile.id, saved.version);
    expect(stored!.parameters).toEqual({
      ...version.parameters,
      connections: [
        { ...version.parameters.connections[0], apn: 'changed.northwind.example' },
        version.parameters.connections[1],
      ],
    });
    const xml = serializeXml(renderProfile(stored!.parameters, { format: 'oma-cp' }).root);
    expect(xml).toContain(
      `<parm name="AUTHSECRET" value="${version.parameters.connections[0].auth!.password}"/>`,
    );
    expect(xml).not.toContain(MASK);
  });

  it('refuses a mask with nothing behind it and takes no version number for it', async () => {
    const { profile, version } = await createProfile(store.db, {
      name: `masked-refused-${kind}`,
      parameters: fullParameters(),
      createdBy: 'test',
    });
    const posted = maskParameters(version.parameters);
    posted.proxies[0].id = 'NEW_PROXY';
    posted.browser!.proxy = 'NEW_PROXY';
    await expect(
      saveVersion(store.db, profile.id, { parameters: posted, createdBy: 'test' }),
    ).rejects.toMatchObject({
      code: 'SECRET_MASKED',
      details: { path: 'proxies[0].auth.password' },
    });
    await expect(
      createProfile(store.db, { name: `masked-new-${kind}`, parameters: posted, createdBy: 'test' }),
    ).rejects.toMatchObject({ code: 'SECRET_MASKED' });
    const next = await saveVersion(store.db, profile.id, {
      parameters: version.parameters,
      createdBy: 'test',
    });
    expect(next.version).toBe(2);
  });
});

describe('the profile routes: read masked, post back, diff', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi();
  }, 60_000);
  afterAll(async () => {
    await api?.close();
  });
  const admin = (path: string, init: RequestInit & { json?: unknown } = {}) =>
    api.fetch(path, { ...init, key: api.keys.admin });

  it('keeps secrets posted back masked, flags a changed secret in the diff without showing it', async () => {
    const created = await admin('/v1/profiles', {
      method: 'POST',
      json: { name: 'masked-http', parameters: fullParameters() },
    });
    expect(created.status).toBe(201);
    const [first] = (await readJson(await admin('/v1/profiles/masked-http/versions'))).versions;
    expect(first.parameters.connections[0].auth.password).toBe(MASK);

    const posted = structuredClone(first.parameters);
    posted.dm.clientAuth.secret = 'new-server-secret';
    const second = await admin('/v1/profiles/masked-http/versions', {
      method: 'POST',
      json: { parameters: posted },
    });
    expect(second.status, JSON.stringify(await readJson(second.clone()))).toBe(201);
    expect(JSON.stringify(await readJson(second))).not.toContain('new-server-secret');

    const stored = await getVersion(api.store.db, first.profileId, 2);
    expect(stored!.parameters.connections[0].auth!.password).toBe(
      fullParameters().connections[0].auth!.password,
    );
    expect(stored!.parameters.dm!.clientAuth!.secret).toBe('new-server-secret');

    const diff = await readJson(await admin('/v1/profiles/masked-http/diff?from=1&to=2'));
    expect(diff.changes).toEqual([{ path: 'dm.clientAuth.secret', old: MASK, new: MASK, masked: true }]);
  });

  it('answers 422 SECRET_MASKED naming the field when a mask has no secret behind it', async () => {
    const [first] = (await readJson(await admin('/v1/profiles/masked-http/versions'))).versions;
    const posted = structuredClone(first.parameters);
    // A connection the previous version does not have: its "***" stands for nothing.
    posted.connections.push({
      id: 'EXTRA',
      bearer: 'GPRS',
      apn: 'extra.northwind.example',
      auth: { type: 'PAP', user: 'extra', password: MASK },
    });
    const response = await admin('/v1/profiles/masked-http/versions', {
      method: 'POST',
      json: { parameters: posted },
    });
    const body = await readJson(response);
    expect(response.status, JSON.stringify(body)).toBe(422);
    expect(body.error.code).toBe('SECRET_MASKED');
    expect(body.error.message).toMatch(/^connections\[2\]\.auth\.password: /);
    expect(body.error.details.path).toBe('connections[2].auth.password');
  });
});
