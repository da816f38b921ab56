/**
 * The worker side of provisioning, wired up: the BullMQ worker, the connector's receipts and MO
 * messages (keyword and USSD requests, ask-first answers), bind-state events, and the sweeps.
 */
import type { Redis } from 'ioredis';
import type { Worker } from 'bullmq';
import type {
  Acknowledgement,
  BindStatus,
  DeliveryReport,
  MoMessage,
  SmscConnector,
} from '../connectors/types.ts';
import { createProvisionWorker } from '../queues/workers.ts';
import { PushComposer } from './compose.ts';
import { loadDmSecretBox } from '../dm/secrets.ts';
import { W7Accounts } from '../dm/w7-accounts.ts';
import { DeviceCache } from './device-cache.ts';
import { RuleCache, type DeliveryDeps } from './deliver.ts';
import type { PipelineDeps } from './pipeline.ts';
import { handleReceipts } from './receipts.ts';
import { GroupPolicies } from '../subscribers/group-policies.ts';
import { handleMo } from '../subscribers/requests.ts';
import { startSweeps } from './sweeps.ts';
import { WorkerBatches } from './worker-batches.ts';
import type { ProvisioningService } from './types.ts';

const MAX_RECEIPT_BATCH = 200;
const MAX_RECEIPT_FLUSHES = 2;

export interface ProvisioningWorkerOptions {
  connection: Redis;
  prefix: string;
  /** default: config.provisioning.workerConcurrency */
  concurrency?: number;
  sweeps?: boolean;
}

export interface ProvisioningWorker {
  deps: DeliveryDeps;
  /** closes the worker (active jobs finish), waits for receipts being written, stops the sweeps */
  close(): Promise<void>;
  /** test hook: abandons active jobs as a killed process would (their locks expire, another worker takes them) */
  kill(): Promise<void>;
}

export function startProvisioningWorker(
  base: PipelineDeps,
  connector: SmscConnector,
  service: ProvisioningService,
  options: ProvisioningWorkerOptions,
): ProvisioningWorker {
  const deps: DeliveryDeps = {
    ...base,
    connector,
    // a w7 carries the subscriber's own DM account, sealed with the key every process shares (dm.secretKey)
    composer: new PushComposer(base.db, new W7Accounts(base.db, () => loadDmSecretBox(base.config.dm))),
    devices: base.devices ?? new DeviceCache(base.config.devices.operatorDefault),
    policies: base.policies ?? new GroupPolicies(base.db, base.config.groups),
    rules: new RuleCache(base.db),
    batches: new WorkerBatches(base.db, base.now),
  };
  const inFlight = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>): void => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };
  const onReceipt = receiptIntake(deps, track);
  // Keywords and USSD requests ask for settings, YES / NO answer a question (subscribers/requests.ts).
  // The SMSC's deliver_sm_resp waits for it: a message not handled is answered with an error and resent.
  const onMo = (message: MoMessage, ack?: Acknowledgement): void => {
    const handled = handleMo({ ...deps, service }, message);
    ack?.waitFor(handled);
    track(
      handled.catch((error: unknown) =>
        deps.logger.warn({ err: (error as Error).message, to: message.to }, 'MO message not handled'),
      ),
    );
  };
  const onBindState = (status: BindStatus): void => {
    deps.events.publish({
      type: 'smsc.bind-state',
      smscId: status.smscId,
      bindId: status.bindId,
      state: status.state,
      lastError: status.lastError,
      at: deps.now().toISOString(),
    });
  };
  connector.on('receipt', onReceipt);
  connector.on('mo', onMo);
  connector.on('bind-state', onBindState);
  const worker = createProvisionWorker(deps, {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency ?? deps.config.provisioning.workerConcurrency,
    lockDurationMs: deps.config.provisioning.lockDurationMs,
    stalledIntervalMs: deps.config.provisioning.stalledIntervalMs,
  });
  const sweeps = options.sweeps === false ? undefined : startSweeps(deps);
  const stopFollowing = pauseWhileStandingBy(connector, worker);
  const detach = (): void => {
    connector.off('receipt', onReceipt);
    connector.off('mo', onMo);
    connector.off('bind-state', onBindState);
    stopFollowing();
  };
  return {
    deps,
    close: async () => {
      await worker.close();
      await sweeps?.stop();
      await Promise.allSettled([...inFlight]);
      detach();
    },
    kill: async () => {
      detach();
      await sweeps?.stop();
      // force: no waiting for active jobs, their locks are not released (as when the process dies)
      await worker.close(true);
    },
  };
}

/**
 * While every bind of this worker stands by (other workers hold the SMSC account's bind leases, maxBinds),
 * it takes no jobs: they would only be refused here and retried (connectors/account-limits/). Returns the detach.
 */
function pauseWhileStandingBy(connector: SmscConnector, worker: Worker): () => void {
  const follow = (): void => {
    const transmitters = connector.status().filter((bind) => bind.mode !== 'rx');
    if (transmitters.length > 0 && transmitters.every((bind) => bind.state === 'standby')) {
      if (!worker.isPaused()) void worker.pause(true);
    } else if (worker.isPaused()) void worker.resume();
  };
  connector.on('bind-state', follow);
  follow();
  return () => connector.off('bind-state', follow);
}

interface WaitingReceipt {
  report: DeliveryReport;
  /** settles when the receipt's batch is committed (or failed) */
  stored: { resolve(): void; reject(error: unknown): void };
}

/**
 * The connector's receipts into the store. They come in bursts: they are written in batches (one
 * transaction per batch, a few at a time); `track` keeps each write for close() to wait for. Each
 * receipt's deliver_sm_resp waits for its batch's commit (`ack`): a batch that fails is answered with an
 * error, so the SMSC resends its receipts instead of their being lost (issue #15 item 1).
 */
function receiptIntake(
  deps: DeliveryDeps,
  track: (work: Promise<unknown>) => void,
): (report: DeliveryReport, ack?: Acknowledgement) => void {
  const waiting: WaitingReceipt[] = [];
  let flushing = 0;
  const flush = (): void => {
    while (waiting.length > 0 && flushing < MAX_RECEIPT_FLUSHES) {
      const batch = waiting.splice(0, MAX_RECEIPT_BATCH);
      flushing += 1;
      track(
        handleReceipts(
          deps,
          batch.map((entry) => entry.report),
        )
          .then(
            () => batch.forEach((entry) => entry.stored.resolve()),
            (error: unknown) => {
              deps.logger.error(
                { err: (error as Error).message, receipts: batch.length },
                'receipts not recorded; the SMSC is answered with an error and sends them again',
              );
              batch.forEach((entry) => entry.stored.reject(error));
            },
          )
          .finally(() => {
            flushing -= 1;
            flush();
          }),
      );
    }
  };
  const enqueueReceipt = (report: DeliveryReport): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ report, stored: { resolve, reject } });
      if (waiting.length === 1) queueMicrotask(flush);
    });
  return (report, ack) => {
    // A receipt can arrive while its push's message ids are still being written: it waits for that write
    // and is then applied with the others, instead of being looked for again (receipts.ts).
    const submitStored =
      report.pushId === undefined ? undefined : deps.batches.afterSubmitStored(report.pushId);
    const stored = submitStored ? submitStored.then(() => enqueueReceipt(report)) : enqueueReceipt(report);
    ack?.waitFor(stored);
    track(stored.catch(() => undefined));
  };
}
