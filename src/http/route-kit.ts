import type { AppContext } from '../app-context.ts';
import type { Role } from '../auth/roles.ts';
import type { ClientAuth, MetricsAccess } from '../config.ts';
import type { ApiRouter } from './api-router.ts';
import type { ApiKeyCache, AuthGuard, AuthOptions, OpenOptions } from './middleware/auth.ts';
import type { Validator } from './middleware/validate.ts';
import type { Operation } from './operation.ts';

/** Everything a resource's routes.ts gets to register its routes. */
export interface RouteKit {
  api: ApiRouter;
  auth: (role: Role, options?: AuthOptions) => AuthGuard;
  open: (options?: OpenOptions) => AuthGuard;
  validate: <O extends Operation>(op: O) => Validator<O>;
  context: AppContext;
  keys: ApiKeyCache;
  options: ResolvedHttpOptions;
}

export interface ResolvedHttpOptions {
  bodyLimitBytes: number;
  /** Which routes ask for a TLS client certificate (http.tls.clientAuth; none over plain HTTP). */
  clientAuth: ClientAuth;
  /** open: anyone may scrape /metrics; operator: an operator (or admin) key is required (http.metricsAccess). */
  metricsAccess: MetricsAccess;
  /** SSE keep-alive comment interval. */
  eventsHeartbeatMs: number;
}
