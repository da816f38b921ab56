/**
 * A text to a subscriber as the SMSC gets it: encoded (GSM 7-bit, else UCS-2) and concatenated when long
 * (codecs/sms/text.ts), from the sender address the subscriber can answer.
 */
import { randomInt } from 'node:crypto';
import { firstPartOfText, segmentText } from '../../codecs/sms/text.ts';
import type { OutboundPush, SegmentResult, SmscConnector } from '../connectors/types.ts';

/** The concatenation reference is 8 bits (docs/protocol.md §5.1). */
const REFERENCE_VALUES = 256;

export interface TextMessage {
  /** the push id; receipts for ids that are not a provisioning's are dropped (receipts.ts) */
  id: string;
  destination: string;
  text: string;
  /** the sender address (a short code); absent: the SMSC's own */
  source?: string;
  /** the answer to a USSD request: one message, in the session where the SMSC supports it */
  ussdAnswer?: boolean;
}

export function textPush(message: TextMessage): OutboundPush {
  // USSD has no concatenation: the answer is what one message holds
  const text = message.ussdAnswer ? firstPartOfText(message.text) : message.text;
  // The reference only has to differ between messages in flight to one handset (docs/protocol.md §5.1).
  const { alphabet, segments } = segmentText(text, { reference: randomInt(0, REFERENCE_VALUES) });
  const push: OutboundPush = {
    id: message.id,
    destination: message.destination,
    kind: 'text',
    alphabet,
    segments,
  };
  if (message.source !== undefined) push.source = message.source;
  if (message.ussdAnswer) push.ussdAnswer = true;
  return push;
}

/** One result per part; never rejects for SMSC failures (SmscConnector.submit). */
export function sendText(connector: SmscConnector, message: TextMessage): Promise<SegmentResult[]> {
  return connector.submit(textPush(message));
}
