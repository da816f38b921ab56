import type { X509Certificate } from 'node:crypto';
import Koa from 'koa';
import type { AppContext } from '../app-context.ts';
import type { ClientAuth, MetricsAccess } from '../config.ts';
import { createConsole } from '../console/index.ts';
import type { DmServer } from '../dm/server.ts';
import { countUnmatchedReceipts } from '../provisioning/receipt-repository.ts';
import { registerUnmatchedReceiptsGauge, unauthenticatedRequestsCounter } from '../observability/metrics.ts';
import { ApiRouter, type RouteEntry } from './api-router.ts';
import { AuditWriter, UnauthenticatedRequests } from './audit-writer.ts';
import { ApiKeyCache, createGuards } from './middleware/auth.ts';
import { DEFAULT_BODY_LIMIT_BYTES } from './middleware/body.ts';
import { createClientCertCheck } from './middleware/client-cert.ts';
import { errorHandler } from './middleware/error-handler.ts';
import { TokenBucketLimiter, type RateLimitOptions } from './middleware/rate-limit.ts';
import { requestId } from './middleware/request-id.ts';
import { createValidate } from './middleware/validate.ts';
import { openApiRoutes } from './openapi.ts';
import type { ResolvedHttpOptions, RouteKit } from './route-kit.ts';
import { adminKeyRoutes } from './routes/api-keys/routes.ts';
import { auditRoutes } from './routes/audit/routes.ts';
import { campaignRoutes } from './routes/campaigns/routes.ts';
import { deviceRoutes } from './routes/devices/routes.ts';
import { dmRoutes } from './routes/dm/routes.ts';
import { eventRoutes } from './routes/events/routes.ts';
import { groupRoutes } from './routes/groups/routes.ts';
import { healthRoutes } from './routes/health/routes.ts';
import { messageRoutes } from './routes/messages/routes.ts';
import { profileRoutes } from './routes/profiles/routes.ts';
import { provisioningRoutes } from './routes/provisionings/routes.ts';
import { pushRoutes } from './routes/pushes/routes.ts';
import { ruleRoutes } from './routes/rules/routes.ts';
import { smscRoutes } from './routes/smsc/routes.ts';
import { subscriberRoutes } from './routes/subscribers/routes.ts';
import { triggerRoutes } from './routes/triggers/routes.ts';

export interface HttpOptions {
  /** Largest request body accepted (default 1 MiB; CSV imports count too). */
  bodyLimitBytes?: number;
  /** Per API key (by name, by role) and per remote address before authentication, per process (middleware/rate-limit.ts); default http.rateLimit of context.config. */
  rateLimit?: RateLimitOptions;
  /**
   * Which routes refuse callers without a TLS client certificate from clientCas (http.tls.clientAuth;
   * default none). Needs the https server of src/http/server.ts, which requests certificates.
   */
  clientAuth?: ClientAuth;
  /** The CA certificates (http.tls.caFile) a client certificate must be issued by; needed unless clientAuth is none. */
  clientCas?: readonly X509Certificate[];
  /** Who may scrape /metrics; default http.metricsAccess of context.config. */
  metricsAccess?: MetricsAccess;
  /** Accepted from loopback peers on the API-key routes: how `otagw keys` talks to a running server. */
  localAdminSecret?: string;
  eventsHeartbeatMs?: number;
  /** How long one audit summary of anonymous 401s covers (default 60 s; audit-writer.ts). */
  unauthenticatedSummaryMs?: number;
  /** The DM server (roles dm and all): its endpoint at dm.path and the /v1/dm routes; absent: neither. */
  dm?: DmServer;
}

const routeTables = new WeakMap<Koa, RouteEntry[]>();

/** The route table of an app made by createApp (for the OpenAPI document and the role-matrix tests). */
export function routesOf(app: Koa): readonly RouteEntry[] {
  return routeTables.get(app) ?? [];
}

/** The whole HTTP API as a Koa app; the caller listens (plain http or https with client certificates). */
export function createApp(context: AppContext, httpOptions: HttpOptions = {}): Koa {
  const options: ResolvedHttpOptions = {
    bodyLimitBytes: httpOptions.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    clientAuth: httpOptions.clientAuth ?? 'none',
    metricsAccess: httpOptions.metricsAccess ?? context.config.http.metricsAccess,
    eventsHeartbeatMs: httpOptions.eventsHeartbeatMs ?? 15_000,
  };
  const clientCas = httpOptions.clientCas ?? [];
  if (options.clientAuth !== 'none' && clientCas.length === 0) {
    throw new Error(`clientAuth ${options.clientAuth} needs clientCas (the CA of client certificates)`);
  }
  const keys = new ApiKeyCache(context.db, context.logger);
  const audit = new AuditWriter(context.db, { metrics: context.metrics, logger: context.logger });
  const unauthenticated = new UnauthenticatedRequests(
    audit,
    context.logger,
    unauthenticatedRequestsCounter(context.metrics),
    httpOptions.unauthenticatedSummaryMs,
  );
  registerUnmatchedReceiptsGauge(context.metrics, () => countUnmatchedReceipts(context.db));
  const limits = httpOptions.rateLimit ?? context.config.http.rateLimit;
  const { auth, open } = createGuards({
    keys,
    limiter: new TokenBucketLimiter(limits),
    limits,
    clientAuth: options.clientAuth,
    checkClientCert: createClientCertCheck(clientCas),
    localAdminSecret: httpOptions.localAdminSecret,
    onUnauthenticated: (code, remoteAddress) => unauthenticated.record(code, remoteAddress),
  });
  const api = new ApiRouter(context.db, context.logger, audit);
  const kit: RouteKit = {
    api,
    auth,
    open,
    validate: createValidate(options.bodyLimitBytes),
    context,
    keys,
    options,
  };

  healthRoutes(kit);
  triggerRoutes(kit);
  deviceRoutes(kit);
  subscriberRoutes(kit);
  provisioningRoutes(kit);
  pushRoutes(kit);
  smscRoutes(kit);
  messageRoutes(kit);
  eventRoutes(kit);
  profileRoutes(kit);
  ruleRoutes(kit);
  groupRoutes(kit);
  adminKeyRoutes(kit);
  auditRoutes(kit);
  campaignRoutes(kit);
  if (httpOptions.dm) dmRoutes(kit, httpOptions.dm);
  openApiRoutes(kit);

  const app = new Koa({ proxy: false });
  app.silent = true;
  app.use(requestId());
  app.use(errorHandler(context.logger));
  // DM clients authenticate with their DM credentials, not API keys (src/dm/server.ts)
  if (httpOptions.dm) app.use(httpOptions.dm.endpoint());
  app.use(createConsole(kit)); // /console (src/console/README.md); anything else passes through
  app.use(api.router.routes());
  app.use(api.router.allowedMethods());
  routeTables.set(app, api.routes);
  return app;
}
