import { importDeviceCatalogue } from '../../../devices/import-catalogue.ts';
import { recordDeviceReport } from '../../../store/repositories/device-reports.ts';
import { findModelByTac, listDeviceModels } from '../../../store/repositories/devices.ts';
import { unprocessable } from '../../errors.ts';
import type { RouteKit } from '../../route-kit.ts';
import { deviceReport, importDevices, listDevices } from './schema.ts';

export function deviceRoutes({ api, auth, validate, context }: RouteKit): void {
  api.post(
    '/v1/devices/:imei/reports',
    auth('network'),
    validate(deviceReport),
    async (ctx, { params, body }) => {
      ctx.state.audit = { subjectType: 'imei', subjectId: params.imei };
      const stored = await recordDeviceReport(context.db, params.imei, {
        properties: body.properties,
        configuration: body.configuration ?? {},
        software: body.software ?? [],
        source: body.source ?? 'api',
      });
      ctx.state.audit.details = { reportId: stored.id, subscriberId: stored.subscriberId };
      ctx.status = 201;
      ctx.body = stored;
    },
  );

  api.get('/v1/devices', auth('admin'), validate(listDevices), async (ctx, { query }) => {
    if (query.tac !== undefined) {
      const model = await findModelByTac(context.db, query.tac);
      ctx.body = { models: model ? [model] : [] };
      return;
    }
    let models = await listDeviceModels(context.db, {
      manufacturer: query.manufacturer,
      limit: query.q === undefined ? query.limit : 100_000,
      offset: query.q === undefined ? query.offset : 0,
    });
    if (query.q !== undefined) {
      const needle = query.q.toLowerCase();
      models = models
        .filter(
          (m) =>
            `${m.manufacturer} ${m.model}`.toLowerCase().includes(needle) ||
            m.tacs.some((t) => t.startsWith(needle)),
        )
        .slice(query.offset, query.offset + query.limit);
    }
    ctx.body = { models };
  });

  api.post('/v1/devices/import', auth('admin'), validate(importDevices), async (ctx, { body, query }) => {
    const source = query.source ?? 'http-upload.csv';
    ctx.state.audit = { subjectType: 'device-catalogue', subjectId: source };
    const report = await importDeviceCatalogue(context.db, body, {
      dryRun: query.dryRun === 'true',
      skipInvalid: query.skipInvalid === 'true',
      actor: ctx.state.principal!.name,
      role: ctx.state.principal!.role,
      source,
    });
    ctx.state.audit.details = {
      outcome: report.outcome,
      lines: report.lines,
      models: report.models,
      tacs: report.tacs,
    };
    if (report.outcome === 'refused') {
      throw unprocessable(
        'CATALOGUE_REFUSED',
        `the CSV has ${report.issues.length} problem(s); nothing was imported`,
        {
          issues: report.issues.slice(0, 200),
          lines: report.lines,
        },
      );
    }
    ctx.body = report;
  });
}
