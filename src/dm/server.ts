/**
 * The DM server of a gateway process: the endpoint at dm.path on the gateway's own Koa app (no API key:
 * handsets authenticate with their DM credentials, authenticate.ts) and what the /v1/dm routes use.
 * Built by main.ts for the dm and all roles; a test builds one over its own store and Redis.
 */
import type { Redis } from 'ioredis';
import type { Middleware } from 'koa';
import { CodecError } from '../../codecs/errors.ts';
import type { Config } from '../config.ts';
import { AuditWriter } from '../http/audit-writer.ts';
import { ApiError } from '../http/errors.ts';
import { readRaw } from '../http/middleware/body.ts';
import type { Logger } from '../observability/logger.ts';
import type { ProvisioningService } from '../provisioning/types.ts';
import type { Db } from '../store/db.ts';
import { exchange, type DmEngineDeps } from './engine.ts';
import { loadDmSecretBox, type DmSecretBox } from './secrets.ts';
import { DmSessionStore } from './session-store.ts';
import { startDmSweep } from './sweep.ts';

export interface DmServerOptions {
  db: Db;
  logger: Logger;
  config: Pick<Config, 'dm' | 'redis'>;
  /** sessions live here (any process sharing it serves the next package) */
  redis: Redis;
  provisioning: ProvisioningService;
  /** default: loaded from dm.secretKey / dm.secretKeyFile */
  box?: DmSecretBox;
}

/** `application/vnd.syncml(.dm)?+(xml|wbxml)` (docs/protocol-dm.md §9 #2); none: the first octet says. */
const SYNCML_TYPE = /^application\/vnd\.syncml(?:\.dm)?\+(?:xml|wbxml)$/;

export class DmServer {
  readonly box: DmSecretBox;
  readonly engine: DmEngineDeps;
  readonly path: string;

  private constructor(options: DmServerOptions, box: DmSecretBox) {
    this.box = box;
    this.path = options.config.dm.path;
    const audit = new AuditWriter(options.db, { logger: options.logger });
    this.engine = {
      db: options.db,
      logger: options.logger,
      settings: options.config.dm,
      sessions: new DmSessionStore(
        options.redis,
        options.config.redis.prefix,
        options.config.dm.sessionTimeoutMs,
      ),
      box,
      provisioning: options.provisioning,
      audit: (entry) => audit.write(entry),
    };
  }

  /**
   * The sweep of sessions the handsets stopped answering (sweep.ts), every dm.sweepIntervalMs; it stops
   * with its Redis connection (the shutdown closes those before the store).
   */
  startSweep(redis: Redis): { stop(): Promise<void> } {
    const sweep = startDmSweep(
      {
        db: this.engine.db,
        sessions: this.engine.sessions,
        timeoutMs: this.engine.settings.sessionTimeoutMs,
        logger: this.engine.logger,
      },
      this.engine.settings.sweepIntervalMs,
    );
    redis.once('end', () => void sweep.stop());
    return sweep;
  }

  static async create(options: DmServerOptions): Promise<DmServer> {
    return new DmServer(options, options.box ?? (await loadDmSecretBox(options.config.dm)));
  }

  /** POST dm.path: one SyncML message in, one out (HTTP 200, docs/protocol-dm.md §7); anything else passes. */
  endpoint(): Middleware {
    return async (ctx, next) => {
      if (ctx.path !== this.path) return next();
      if (ctx.method !== 'POST') {
        ctx.set('Allow', 'POST');
        throw new ApiError(
          405,
          'METHOD_NOT_ALLOWED',
          `DM clients POST their SyncML messages to ${this.path}`,
        );
      }
      const type = ctx.request.type;
      if (type && !SYNCML_TYPE.test(type)) {
        throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send application/vnd.syncml.dm+xml or +wbxml', {
          received: type,
        });
      }
      const body = await readRaw(ctx, this.engine.settings.maxMsgSize);
      const serverUri = this.engine.settings.serverUri ?? `${ctx.protocol}://${ctx.host}${this.path}`;
      try {
        const answer = await exchange(this.engine, {
          body: new Uint8Array(body),
          contentType: ctx.get('Content-Type') || undefined,
          hmac: ctx.get('x-syncml-hmac') || undefined,
          serverUri,
        });
        ctx.status = 200;
        ctx.set('Cache-Control', 'no-store');
        for (const [name, value] of Object.entries(answer.headers)) ctx.set(name, value);
        ctx.type = answer.contentType;
        ctx.body = Buffer.from(answer.body);
      } catch (error) {
        if (!(error instanceof CodecError)) throw error;
        throw new ApiError(400, 'SYNCML_UNREADABLE', `the body is not a SyncML message: ${error.message}`, {
          field: 'body',
          codecError: error.code,
        });
      }
    };
  }
}
