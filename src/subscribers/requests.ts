/**
 * What a subscriber sends us: a keyword to a short code or a USSD request asks for settings (a
 * provisioning exactly like POST /v1/triggers/dial-request, source 'sms' or 'ussd'); YES / NO answers the
 * ask-first question; anything else at a short code gets the help text. Every outcome is answered with a
 * text from texts/templates.ts, from the short code, in the subscriber's language.
 */
import { randomUUID } from 'node:crypto';
import type { MoMessage } from '../connectors/types.ts';
import type { DeliveryDeps } from '../provisioning/deliver.ts';
import { ProvisioningError, type Actor, type ProvisioningService } from '../provisioning/types.ts';
import { listSubscriberProvisionings } from '../provisioning/history-repository.ts';
import { sendText } from '../texts/send.ts';
import { subscriberText } from '../texts/subscriber-text.ts';
import type { TextName } from '../texts/templates.ts';
import { policyFor } from './policy.ts';
import { normaliseRequestText, routeMo, senderOf, type MoRoute } from './request-keywords.ts';
import { findSubscriber, type Subscriber } from './repository.ts';

export type RequestDeps = Pick<
  DeliveryDeps,
  'db' | 'config' | 'connector' | 'devices' | 'policies' | 'logger'
> & {
  service: ProvisioningService;
};

/** The answers that decline, as the service reads them (service.ts DECLINING_ANSWERS). */
const DECLINING_ANSWERS = ['NO', 'N', 'STOP', 'CANCEL'];

function answerWords(deps: RequestDeps): ReadonlySet<string> {
  return new Set([normaliseRequestText(deps.config.provisioning.confirmKeyword), ...DECLINING_ANSWERS]);
}

function subscriberActor(msisdn: string): Actor {
  return { name: `subscriber:${msisdn}`, role: 'subscriber' };
}

/** Routes one MO message and answers it. Rejects only when the store or the SMSC fails. */
export async function handleMo(deps: RequestDeps, message: MoMessage): Promise<void> {
  const route = routeMo(deps.config.requests, answerWords(deps), message);
  if (route.kind === 'ignore') return;
  const subscriber = await findSubscriber(deps.db, { msisdn: message.from });
  const reply = { deps, message, subscriber, ussd: route.kind === 'ussd' };
  switch (route.kind) {
    case 'answer':
      return answerQuestion(deps, message, route.shortCode, subscriber);
    case 'help':
      return sendReply(reply, 'help', route.shortCode);
    case 'keyword':
    case 'ussd': {
      const outcome = await requestSettings(deps, message, route);
      // a group that asks first sends its question instead (provisioning/deliver.ts askConfirmation)
      if (outcome !== 'asked') return sendReply(reply, outcome, senderOf(deps.config.requests));
    }
  }
}

/** A provisioning as the dial-request trigger makes it; which text says how it went. */
async function requestSettings(
  deps: RequestDeps,
  message: MoMessage,
  route: Extract<MoRoute, { kind: 'keyword' | 'ussd' }>,
): Promise<TextName | 'asked'> {
  const source = route.kind === 'ussd' ? 'ussd' : 'sms';
  const asked = route.kind === 'ussd' ? route.code : `${route.keyword} to ${route.shortCode}`;
  try {
    // No SMPP TLV carries the sender's IMSI: only a SIM the gateway has seen can be identified.
    const provisioning = await deps.service.request({
      msisdn: message.from,
      profileId: route.profile,
      reason: `subscriber asked: ${asked}`,
      source,
      actor: subscriberActor(message.from),
    });
    if (provisioning.state === 'awaiting-confirmation') return 'asked';
    const device = await deps.devices.resolve(deps.db, provisioning.imei);
    return device.outcome === 'unsupported' ? 'unsupportedDevice' : 'onTheWay';
  } catch (error) {
    if (error instanceof ProvisioningError && error.code === 'SUBSCRIBER_NOT_FOUND') return 'unidentifiedSim';
    throw error;
  }
}

/** YES / NO: the service moves the open question; a late answer and a stray one get their own texts. */
async function answerQuestion(
  deps: RequestDeps,
  message: MoMessage,
  shortCode: string | undefined,
  subscriber: Subscriber | undefined,
): Promise<void> {
  const reply = { deps, message, subscriber, ussd: false };
  const answered = await deps.service.confirm(message.from, message.text, subscriberActor(message.from));
  if (answered) return sendReply(reply, answered.state === 'cancelled' ? 'declined' : 'onTheWay', shortCode);
  const isAnswer = answerWords(deps).has(normaliseRequestText(message.text));
  if (isAnswer && subscriber && (await questionExpired(deps, subscriber.id))) {
    return sendReply(reply, 'tooLate', shortCode);
  }
  // at a short code every message is answered; elsewhere (before keywords existed) only real answers
  if (shortCode !== undefined) return sendReply(reply, 'help', shortCode);
}

/** The subscriber's newest provisioning is a question that expired unanswered. */
async function questionExpired(deps: RequestDeps, subscriberId: string): Promise<boolean> {
  const [newest] = await listSubscriberProvisionings(deps.db, subscriberId, 1);
  return newest?.state === 'expired' && newest.failureCode === 'CONFIRMATION_TIMEOUT';
}

interface Reply {
  deps: RequestDeps;
  message: MoMessage;
  subscriber: Subscriber | undefined;
  /** answer in the USSD session (where the SMSC has one) */
  ussd: boolean;
}

async function sendReply(reply: Reply, name: TextName, shortCode: string | undefined): Promise<void> {
  const { deps, message, subscriber } = reply;
  const language =
    subscriber === undefined
      ? undefined
      : policyFor(await deps.policies.all(), subscriber.groupName).language;
  const results = await sendText(deps.connector, {
    // not a provisioning id: its receipts are dropped (receipts.ts)
    id: `reply:${randomUUID()}`,
    destination: message.from,
    text: subscriberText(deps.config, name, { language, shortCode }),
    source: senderOf(deps.config.requests),
    ussdAnswer: reply.ussd,
  });
  const refused = results.find((result) => !result.ok);
  if (refused && !refused.ok) {
    deps.logger.warn({ text: name, smsc: refused.smscId, status: refused.statusName }, 'reply not accepted');
  }
}
