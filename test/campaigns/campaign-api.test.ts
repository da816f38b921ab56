/**
 * Campaign drafts over HTTP on both stores: the preview's counts are exact for each selector field (the
 * expected figures come from the base's rules, not from SQL), bad documents are 4xx naming the field,
 * the state changes follow the table, and start materialises exactly the previewed targets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson, startApi, type ApiHarness, type LooseJson } from '../http/support/api-harness.ts';
import { describeEachStore } from '../support/stores.ts';
import { baseSubscribers, countBy, seedBase, type BaseSubscriber } from './base.ts';

const COUNT = 2000;
const PREFIX = '49151';
const GROUPS = ['default', 'postpaid', 'corporate'] as const;
const PROFILE = 'northwind-standard';
/** What the catalogue and the shipped operator default make of each model in the base. */
const UNSUPPORTED: Record<string, string> = { '(no handset)': 'NO_HANDSET', 'Nokia 3310': 'FORMAT_NONE' };

describeEachStore('campaign drafts and their preview over HTTP (%s)', (kind) => {
  let api: ApiHarness;
  const base = baseSubscribers(COUNT, PREFIX, GROUPS);

  beforeAll(async () => {
    api = await startApi({ store: kind, seed: true });
    await seedBase(api.store.db, { count: COUNT, prefix: PREFIX, groups: GROUPS, profile: PROFILE });
  }, 60_000);
  afterAll(async () => api?.close());

  const create = async (document: Record<string, unknown>, key = api.keys.admin): Promise<Response> =>
    api.fetch('/v1/campaigns', { method: 'POST', key, json: { name: 'test', ...document } });

  const previewOf = async (selector: Record<string, unknown>): Promise<LooseJson> => {
    const response = await create({ selector, content: { kind: 'profile', profile: PROFILE } });
    const body = await readJson(response);
    expect(response.status, JSON.stringify(body)).toBe(201);
    expect(body.state).toBe('draft');
    return body.preview;
  };

  /** What the preview of these subscribers must say. */
  function expectPreview(preview: LooseJson, selected: readonly BaseSubscriber[]): void {
    const unsupported = selected.filter((subscriber) => UNSUPPORTED[subscriber.model] !== undefined);
    expect(preview.subscribers).toBe(selected.length);
    expect(preview.pushes).toBe(selected.length - unsupported.length);
    expect(preview.unsupported.count).toBe(unsupported.length);
    expect(preview.unsupported.reasons).toEqual(
      Object.fromEntries(countBy(unsupported, (subscriber) => UNSUPPORTED[subscriber.model]!)),
    );
    const asMap = (entries: Array<{ key: string; count: number }>): Map<string, number> =>
      new Map(entries.map((entry) => [entry.key, entry.count]));
    expect(asMap(preview.byModel)).toEqual(countBy(selected, (subscriber) => subscriber.model));
    expect(asMap(preview.byGroup)).toEqual(countBy(selected, (subscriber) => subscriber.group));
    const sample = [...selected]
      .map((subscriber) => subscriber.msisdn)
      .sort()
      .slice(0, 5);
    expect(preview.sample).toEqual(sample);
    // Every supported push takes at least one SMS; the run tests check the figure against what is sent.
    expect(preview.segments).toBeGreaterThanOrEqual(preview.pushes);
  }

  /**
   * Affected by version 3: last delivered below 3, or never had the profile while the shipped rules give
   * it now (the catch-all, for a handset outside group corporate, which has a profile of its own; without
   * a handset no profile is selected). test/campaigns/rule-selection.test.ts covers the rules in depth.
   */
  const affectedBelow3 = base.filter(
    (subscriber) =>
      (subscriber.deliveredVersion !== null && subscriber.deliveredVersion < 3) ||
      (subscriber.deliveredVersion === null &&
        subscriber.model !== '(no handset)' &&
        subscriber.group !== 'corporate'),
  );

  it('finds the subscribers affected by version N (and a list of versions), exactly', async () => {
    expectPreview(await previewOf({ profile: PROFILE, versions: { below: 3 } }), affectedBelow3);
    expectPreview(
      await previewOf({ profile: PROFILE, versions: [1, 3] }),
      base.filter((subscriber) => subscriber.deliveredVersion === 1 || subscriber.deliveredVersion === 3),
    );
    // A profile alone: affected by the version pushed (the latest, 3).
    expectPreview(await previewOf({ profile: PROFILE }), affectedBelow3);
  });

  it('combines models, manufacturers, groups and an MSISDN prefix with AND', async () => {
    expectPreview(
      await previewOf({ models: ['N95', 'nokia 6230i'], groups: ['postpaid'] }),
      base.filter(
        (subscriber) =>
          ['Nokia N95', 'Nokia 6230i'].includes(subscriber.model) && subscriber.group === 'postpaid',
      ),
    );
    expectPreview(
      await previewOf({ manufacturers: ['Sony Ericsson'] }),
      base.filter((subscriber) => subscriber.model.startsWith('Sony Ericsson')),
    );
    expectPreview(
      await previewOf({ msisdnPrefix: `+${PREFIX}0001` }),
      base.filter((subscriber) => subscriber.msisdn.startsWith(`${PREFIX}0001`)),
    );
  });

  it('takes numbers as a list or as a CSV, and finds the never provisioned and the long unprovisioned', async () => {
    const listed = base.filter((subscriber) => subscriber.n % 7 === 0);
    expectPreview(await previewOf({ msisdns: listed.map((subscriber) => `+${subscriber.msisdn}`) }), listed);
    const csv = ['msisdn,note', ...listed.map((subscriber) => `${subscriber.msisdn},x`)].join('\n');
    expectPreview(await previewOf({ msisdns: csv }), listed);
    expectPreview(
      await previewOf({ never: true }),
      base.filter((subscriber) => subscriber.deliveredVersion === null),
    );
    const before = new Date(Date.now() - 36 * 3600_000).toISOString();
    expectPreview(
      await previewOf({ lastDeliveredBefore: before }),
      base.filter((subscriber) => (subscriber.deliveredDaysAgo ?? 0) >= 2),
    );
  });

  it('estimates the time at the pacing and the campaign hours given', async () => {
    const selector = { profile: PROFILE, versions: { below: 3 } };
    const paced = await readJson(
      await create({ selector, content: { kind: 'profile', profile: PROFILE }, pacing: { tps: 50 } }),
    );
    expect(paced.preview.estimatedSeconds).toBe(Math.ceil(paced.preview.segments / 50));
    // One minute a day of campaign hours (in each group's zone, Europe/Berlin here): days, not minutes.
    const windowed = await readJson(
      await create({
        selector,
        content: { kind: 'profile', profile: PROFILE },
        pacing: { tps: 1 },
        window: { start: '03:00', end: '03:01' },
      }),
    );
    const minutesOfSending = windowed.preview.segments / 60;
    expect(windowed.preview.estimatedSeconds).toBeGreaterThan((minutesOfSending - 1) * 86_400);
    expect(windowed.preview.estimatedSeconds).toBeLessThan((minutesOfSending + 1) * 86_400);
  });

  it('refuses bad documents with a 4xx naming the field, and other roles with 403', async () => {
    const content = { kind: 'profile', profile: PROFILE };
    const cases: Array<[Record<string, unknown>, number, string, string]> = [
      [{ selector: { versions: [1] }, content }, 400, 'VALIDATION_FAILED', 'body.selector.versions'],
      [
        { selector: { msisdnPrefix: 'abc' }, content },
        400,
        'VALIDATION_FAILED',
        'body.selector.msisdnPrefix',
      ],
      [{ selector: {}, content, pacing: { tps: 0 } }, 400, 'VALIDATION_FAILED', 'body.pacing.tps'],
      [
        { selector: {}, content, window: { start: '25:00', end: '08:00' } },
        400,
        'VALIDATION_FAILED',
        'body.window.start',
      ],
      [
        { selector: {}, content: { kind: 'profile', profile: 'nope' } },
        422,
        'CAMPAIGN_INVALID',
        'body.content.profile',
      ],
      [
        { selector: {}, content: { ...content, version: 99 } },
        422,
        'CAMPAIGN_INVALID',
        'body.content.version',
      ],
      [{ selector: { profile: 'nope' }, content }, 422, 'CAMPAIGN_INVALID', 'body.selector.profile'],
      [
        { selector: { msisdns: 'msisdn\n12ab\n' }, content },
        422,
        'CAMPAIGN_INVALID',
        'body.selector.msisdns',
      ],
      [
        { selector: {}, content, pacing: { shareOfSmsc: 0.3 } },
        422,
        'CAMPAIGN_INVALID',
        'body.pacing.shareOfSmsc',
      ],
    ];
    for (const [document, status, code, field] of cases) {
      const response = await create(document);
      const body = await readJson(response);
      expect(response.status, JSON.stringify(document)).toBe(status);
      expect(body.error.code).toBe(code);
      expect(body.error.details.issues.map((issue: { field: string }) => issue.field)).toContain(field);
    }
    const forbidden = await create({ selector: {}, content }, api.keys.care);
    expect(forbidden.status).toBe(403);
  });

  it('previews an SL push for the handsets whose catalogue entry takes SL, and no SL execute-high without the policy', async () => {
    const sl = { kind: 'sl', href: 'http://example.com/firmware/6230i.jad' };
    const response = await create({ selector: {}, content: sl });
    const body = await readJson(response);
    expect(response.status, JSON.stringify(body)).toBe(201);
    // The shipped operator default says nothing about SL: a handset missing from the catalogue gets none.
    const reasonOf = (subscriber: BaseSubscriber): string | undefined =>
      UNSUPPORTED[subscriber.model] ??
      (subscriber.model === '(not in the catalogue)' ? 'UNSUPPORTED_CONTENT' : undefined);
    const unsupported = base.filter((subscriber) => reasonOf(subscriber) !== undefined);
    expect(body.preview.subscribers).toBe(COUNT);
    expect(body.preview.unsupported.reasons).toEqual(
      Object.fromEntries(countBy(unsupported, (s) => reasonOf(s)!)),
    );
    expect(body.preview.pushes).toBe(COUNT - unsupported.length);
    expect(body.content).toEqual(sl);

    const high = await readJson(await create({ selector: {}, content: { ...sl, action: 'execute-high' } }));
    expect(high.preview.pushes).toBe(0);
    expect(high.preview.unsupported.reasons.CONTENT_NOT_ALLOWED).toBe(COUNT - unsupported.length);

    const bad = await create({ selector: {}, content: { kind: 'si', href: 'ftp://example.com/x' } });
    expect(bad.status).toBe(400);
    const issues = (await readJson(bad)).error.details.issues.map((issue: { field: string }) => issue.field);
    expect(issues).toContain('body.content.href');
  });

  it('carries its state changes on the event stream (GET /v1/events?types=campaign.state)', async () => {
    const draft = await readJson(
      await create({ selector: { groups: ['postpaid'] }, content: { kind: 'profile', profile: PROFILE } }),
    );
    const controller = new AbortController();
    const stream = await api.fetch('/v1/events?types=campaign.state', {
      key: api.keys.operator,
      signal: controller.signal,
    });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    const decoder = new TextDecoder();
    setTimeout(() => {
      void api.fetch(`/v1/campaigns/${draft.id}/start`, { method: 'POST', key: api.keys.admin });
    }, 50);
    let text = '';
    while (!text.includes('event: campaign.state')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    controller.abort();
    const data = text.split('\n').find((line) => line.startsWith('data: '))!;
    expect(JSON.parse(data.slice(6))).toMatchObject({
      type: 'campaign.state',
      campaignId: draft.id,
      from: 'draft',
      to: 'running',
      action: 'start',
      actor: 'test-admin',
    });
    await api.fetch(`/v1/campaigns/${draft.id}/cancel`, { method: 'POST', key: api.keys.admin });
  });

  describe('state changes', () => {
    it('follows the table: 409 naming the state, 404 for an unknown campaign; start writes the previewed targets', async () => {
      const response = await create({
        selector: { groups: ['corporate'], models: ['N95', '3310'] },
        content: { kind: 'profile', profile: PROFILE },
      });
      const draft = await readJson(response);
      const post = (action: string, id = draft.id): Promise<Response> =>
        api.fetch(`/v1/campaigns/${id}/${action}`, { method: 'POST', key: api.keys.admin });

      const pause = await post('pause');
      expect(pause.status).toBe(409);
      expect((await readJson(pause)).error.details).toMatchObject({ state: 'draft', action: 'pause' });
      expect((await post('start', '00000000-0000-4000-8000-000000000000')).status).toBe(404);

      const started = await readJson(await post('start'));
      expect(started.state).toBe('running');
      expect(started.targetCount).toBe(draft.preview.subscribers);
      const status = await readJson(await api.fetch(`/v1/campaigns/${draft.id}`, { key: api.keys.admin }));
      expect(status.counts.selected).toBe(draft.preview.subscribers);
      expect(status.counts.skipped).toBe(draft.preview.unsupported.count);
      expect(status.counts.skippedByReason).toEqual({ FORMAT_NONE: draft.preview.unsupported.count });
      expect(status.counts.remaining).toBe(draft.preview.pushes);
      expect((await post('start')).status).toBe(409);

      expect((await readJson(await post('pause'))).state).toBe('paused');
      expect((await readJson(await post('resume'))).state).toBe('running');
      const cancelled = await readJson(await post('cancel'));
      expect(cancelled.state).toBe('cancelled');
      const after = await readJson(await api.fetch(`/v1/campaigns/${draft.id}`, { key: api.keys.admin }));
      expect(after.counts.remaining).toBe(0);
      expect(after.counts.skippedByReason.CAMPAIGN_CANCELLED).toBe(draft.preview.pushes);
      expect((await post('resume')).status).toBe(409);

      const listed = await readJson(
        await api.fetch('/v1/campaigns?state=cancelled', { key: api.keys.admin }),
      );
      expect(listed.campaigns.map((campaign: { id: string }) => campaign.id)).toContain(draft.id);
      const audit = await api.store.db.query<{ action: string }>(
        `SELECT action FROM audit_log WHERE subject_type = 'campaign' AND subject_id = $1 ORDER BY id`,
        [draft.id],
      );
      expect(audit.map((entry) => entry.action)).toEqual([
        'campaigns.create',
        'campaigns.pause',
        'campaigns.start',
        'campaigns.start',
        'campaigns.pause',
        'campaigns.resume',
        'campaigns.cancel',
        'campaigns.resume',
      ]);
    });
  });
});
