import { importDeviceCatalogue } from '../../../devices/import-catalogue.ts';
import { takeDeviceReport, type ReportOutcome } from '../../../devices/report-intake.ts';
import { listDeviceReports as readDeviceReports } from '../../../store/repositories/device-reports.ts';
import {
  confirmReportedModel,
  findModelByTac,
  getDeviceModel,
  listDeviceModels,
} from '../../../store/repositories/devices.ts';
import { csvImportOptions, refuseUnlessImported } from '../../csv-import.ts';
import { conflict, notFound } from '../../errors.ts';
import type { Db } from '../../../store/db.ts';
import type { OperationInput } from '../../operation.ts';
import type { RouteKit } from '../../route-kit.ts';
import { actorOf } from '../triggers/routes.ts';
import {
  confirmDeviceModel,
  deviceReport,
  importDevices,
  listDeviceReports,
  listDevices,
  reportCursor,
} from './schema.ts';

/** The answer to a report: what it set off, without the subscriber's IMSI. */
function reportAnswer(outcome: ReportOutcome) {
  const { reprovision } = outcome;
  return {
    id: outcome.id,
    subscriberId: outcome.subscriberId,
    addedModel: outcome.addedModel && { id: outcome.addedModel.id, status: 'unverified' as const },
    applied: outcome.applied,
    reprovision: reprovision && {
      provisioningId: reprovision.provisioning.id,
      state: reprovision.provisioning.state,
      alreadyOpen: reprovision.reused,
    },
  };
}

/** A handset's reports: taken from the network, read by care. */
function reportRoutes({ api, auth, validate, context }: RouteKit): void {
  api.post(
    '/v1/devices/:imei/reports',
    auth('network'),
    validate(deviceReport),
    async (ctx, { params, body }) => {
      ctx.state.audit = { subjectType: 'imei', subjectId: params.imei };
      const outcome = await takeDeviceReport(
        context,
        params.imei,
        {
          properties: body.properties,
          configuration: body.configuration ?? {},
          software: body.software ?? [],
          source: body.source ?? 'api',
        },
        actorOf(ctx),
      );
      const answer = reportAnswer(outcome);
      ctx.state.audit.details = {
        reportId: answer.id,
        subscriberId: answer.subscriberId,
        addedModelId: answer.addedModel?.id ?? null,
        appliedProvisioningId: answer.applied?.provisioningId ?? null,
        reprovision: answer.reprovision,
      };
      ctx.status = 201;
      ctx.body = answer;
    },
  );

  api.get(
    '/v1/devices/:imei/reports',
    auth('care'),
    validate(listDeviceReports),
    async (ctx, { params, query }) => {
      ctx.state.audit = { subjectType: 'imei', subjectId: params.imei };
      // One more than asked for says whether there is a next page.
      const rows = await readDeviceReports(
        context.db,
        { imei: params.imei },
        { limit: query.limit + 1, beforeId: query.cursor },
      );
      const reports = rows.slice(0, query.limit);
      const more = rows.length > query.limit;
      ctx.body = { reports, nextCursor: more ? reportCursor(reports[reports.length - 1].id) : null };
    },
  );
}

/** Models a handset reported and the catalogue lacked: confirmed by an admin. */
function reportedModelRoutes({ api, auth, validate, context }: RouteKit): void {
  api.post(
    '/v1/devices/models/:modelId/confirm',
    auth('admin'),
    validate(confirmDeviceModel),
    async (ctx, { params, body }) => {
      ctx.state.audit = { subjectType: 'device-model', subjectId: String(params.modelId), details: body };
      const confirmed = await confirmReportedModel(context.db, params.modelId, body);
      if (confirmed) {
        ctx.body = confirmed;
        return;
      }
      const model = await getDeviceModel(context.db, params.modelId);
      if (!model) throw notFound('DEVICE_MODEL_NOT_FOUND', `no device model ${params.modelId}`);
      throw conflict('DEVICE_MODEL_VERIFIED', `device model ${params.modelId} is verified already`, {
        status: model.status,
      });
    },
  );
}

/** GET /v1/devices' search (the console's catalogue page searches the same way): by TAC, or text over names and TACs. */
export async function searchDeviceModels(db: Db, query: OperationInput<typeof listDevices>['query']) {
  if (query.tac !== undefined) {
    const model = await findModelByTac(db, query.tac);
    return model ? [model] : [];
  }
  const models = await listDeviceModels(db, {
    manufacturer: query.manufacturer,
    status: query.status,
    limit: query.q === undefined ? query.limit : 100_000,
    offset: query.q === undefined ? query.offset : 0,
  });
  if (query.q === undefined) return models;
  const needle = query.q.toLowerCase();
  return models
    .filter(
      (m) =>
        `${m.manufacturer} ${m.model}`.toLowerCase().includes(needle) ||
        m.tacs.some((t) => t.startsWith(needle)),
    )
    .slice(query.offset, query.offset + query.limit);
}

export function deviceRoutes(kit: RouteKit): void {
  const { api, auth, validate, context } = kit;
  reportRoutes(kit);
  reportedModelRoutes(kit);

  api.get('/v1/devices', auth('admin'), validate(listDevices), async (ctx, { query }) => {
    ctx.body = { models: await searchDeviceModels(context.db, query) };
  });

  api.post('/v1/devices/import', auth('admin'), validate(importDevices), async (ctx, { body, query }) => {
    const source = query.source ?? 'http-upload.csv';
    ctx.state.audit = { subjectType: 'device-catalogue', subjectId: source };
    const report = await importDeviceCatalogue(
      context.db,
      body,
      csvImportOptions(query, ctx.state.principal!, source),
    );
    ctx.state.audit.details = {
      outcome: report.outcome,
      lines: report.lines,
      models: report.models,
      tacs: report.tacs,
    };
    refuseUnlessImported(report, 'CATALOGUE_REFUSED');
    ctx.body = report;
  });
}
