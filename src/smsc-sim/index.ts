export {
  startSmscSimulator,
  DEFAULT_ACCOUNT,
  SimulatorConfigError,
  isLoopbackHost,
  type SimulatorConfigErrorCode,
  type SmscSimulator,
  type SmscSimulatorOptions,
  type SmscAccount,
  type SubmittedSegment,
  type BindMode,
} from './simulator.ts';
export {
  DEFAULT_BEHAVIOUR,
  RECEIPT_STATS,
  BehaviourError,
  type SimBehaviour,
  type ReceiptStat,
} from './behaviour.ts';
export type { SimCounters } from './counters.ts';
export type {
  HandsetInbox,
  HandsetPush,
  HandsetSummary,
  HandsetVerdict,
  SubscriberCredentials,
} from './handset.ts';
export { MoError, USSD_SERVICE_OPS, type MoMessage, type MoCoding, type UssdServiceOp } from './mo.ts';
