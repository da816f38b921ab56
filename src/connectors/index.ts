/**
 * Entry point for the rest of the gateway: build the SMSC connectors from validated configuration.
 */
import type { Logger } from 'pino';
import type { SmscConfig, SmscRoutingConfig } from './config.ts';
import type { SharedAccountLimits } from './account-limits/limits.ts';
import { SmscRouter } from './router.ts';
import { SmppConnector } from './smpp/smpp-connector.ts';

export type { SmscConfig, SmscRoutingConfig } from './config.ts';
export {
  parseSmscConfig,
  parseSmscUrl,
  smscConfigSchema,
  smscRoutingSchema,
  SmscConfigError,
} from './config.ts';
export { SmscRouter } from './router.ts';
export { SmppConnector } from './smpp/smpp-connector.ts';
export type * from './types.ts';

/** One SmppConnector per configured SMSC, behind a router (also for a single SMSC). Call start() on it. */
export function createSmscConnectors(
  routing: SmscRoutingConfig,
  options: {
    logger?: Logger;
    /** each SMSC account's limits shared with other workers (worker role: shared/redis-limits.ts) */
    sharedLimits?: (smsc: SmscConfig) => SharedAccountLimits | undefined;
  } = {},
): SmscRouter {
  const connectors = routing.smscs.map(
    (smsc) => new SmppConnector(smsc, { logger: options.logger, shared: options.sharedLimits?.(smsc) }),
  );
  return new SmscRouter(connectors, routing.routes);
}
