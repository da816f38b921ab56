/**
 * What the store's codes mean, in words a care agent can read to a subscriber. Receipt `stat:` words are
 * SMPP 3.4 Appendix B (docs/protocol.md §6.6); the `err:` field is each SMSC's own, but most pass on
 * the GSM MAP error of the delivery attempt (3GPP TS 29.002 §17.6 error codes; not in docs/protocol.md),
 * which is what ERR_MEANINGS names. An unknown code shows as it is.
 */

export const STAT_MEANINGS: Readonly<Record<string, string>> = {
  DELIVRD: 'delivered to the handset',
  ACCEPTD: 'accepted by the SMSC for the handset, not yet delivered',
  ENROUTE: 'on its way: the SMSC is still trying',
  BUFFRED: 'waiting in the SMSC until the handset can be reached',
  UNDELIV: 'handset out of coverage or memory full',
  EXPIRED: 'the handset stayed unreachable until the message’s validity ran out',
  DELETED: 'deleted in the SMSC before it was delivered',
  REJECTD: 'refused by the network (number barred, unknown, or blocked for binary messages)',
  UNKNOWN: 'the SMSC does not know what became of it',
};

export const ERR_MEANINGS: Readonly<Record<string, string>> = {
  '0': 'no error',
  '1': 'unknown subscriber: the number is not in use',
  '5': 'unidentified subscriber',
  '6': 'handset switched off or out of coverage',
  '9': 'illegal subscriber',
  '11': 'the subscription does not include SMS',
  '12': 'the handset is barred (illegal equipment)',
  '13': 'calls or SMS to this number are barred',
  '21': 'the network does not support this',
  '27': 'handset switched off or out of coverage',
  '31': 'the handset is busy',
  '32': 'the handset could not take it (memory full or SIM error)',
  '33': 'the network’s waiting list for this handset is full',
  '34': 'a failure in the network',
  '35': 'the network lacks data to deliver it',
  '36': 'the network refused a value in the message',
};

/** "UNDELIV: handset out of coverage or memory full (err 027: handset switched off or out of coverage)" */
export function receiptInWords(stat: string | null, error: string | null): string | undefined {
  if (!stat) return undefined;
  const word = stat.toUpperCase();
  let text = `${word}: ${STAT_MEANINGS[word] ?? 'a state this SMSC names its own way'}`;
  const errNumber = error && /^\d+$/.test(error) ? String(Number(error)) : undefined;
  if (error && errNumber !== '0') {
    const meaning = errNumber === undefined ? undefined : ERR_MEANINGS[errNumber];
    text += ` (err ${error}${meaning ? `: ${meaning}` : ''})`;
  }
  return text;
}

/** Why a provisioning exists (provisionings.source). */
export const SOURCE_WORDS: Readonly<Record<string, string>> = {
  'first-use': 'the SIM was seen in a new handset',
  dial: 'the subscriber called the settings line',
  sms: 'the subscriber asked by SMS',
  ussd: 'the subscriber asked by USSD',
  'stale-config': 'the handset reported out-of-date settings',
  care: 'customer care asked for it',
  resend: 'customer care sent it again',
  campaign: 'part of a campaign',
};

/** Failure codes of provisionings (provisionings.failure_code); SMSC_<stat> is put in words above. */
export const FAILURE_WORDS: Readonly<Record<string, string>> = {
  UNSUPPORTED_DEVICE: 'this handset cannot be configured over the air',
  NO_MSISDN: 'the SIM has no known phone number',
  NO_PROFILE: 'no settings are chosen for this handset and group',
  NO_SMSC_ROUTE: 'no SMSC serves this number',
  TOO_MANY_SEGMENTS: 'the settings do not fit in the SMS this handset can join',
  DAILY_CAP_REACHED: 'the group’s daily limit of pushes was reached',
  RECEIPT_TIMEOUT: 'no delivery receipt came back in time',
  CONFIRMATION_TIMEOUT: 'the subscriber did not answer the question in time',
  JOB_FAILED: 'sending failed after every retry',
  DECLINED: 'the subscriber declined',
};

export function failureInWords(code: string | null, reason: string | null): string | undefined {
  if (!code) return undefined;
  if (code.startsWith('SMSC_')) {
    const stat = code.slice('SMSC_'.length);
    if (STAT_MEANINGS[stat]) return `the SMSC reported ${receiptInWords(stat, null)}`;
  }
  return FAILURE_WORDS[code] ?? reason ?? code;
}

/** A group's policy as a sentence or two (the groups row and its policy column, groups.yaml's words). */
export function policyInWords(group: Record<string, unknown> | null): string[] {
  if (!group) return ['No group settings are stored: the built-in default applies (sent at once, NETWPIN).'];
  const policy = (group.policy ?? {}) as Record<string, unknown>;
  const lines: string[] = [];
  const confirmation = policy.confirmation ?? group.confirmationMode;
  if (confirmation === 'ask-first') {
    const asks = Array.isArray(policy.confirmFor)
      ? ` when it comes from: ${policy.confirmFor.join(', ')}`
      : '';
    lines.push(`Asks the subscriber first (they reply to an SMS)${asks}.`);
  } else {
    lines.push('Sends settings straight away, without asking.');
  }
  const quiet = policy.quietHours as { start?: string; end?: string; timeZone?: string } | undefined;
  const start = quiet?.start ?? group.quietHoursStart;
  const end = quiet?.end ?? group.quietHoursEnd;
  if (start && end) {
    lines.push(
      `Quiet from ${String(start).slice(0, 5)} to ${String(end).slice(0, 5)} (${quiet?.timeZone ?? group.timeZone ?? 'UTC'}): pushes wait until morning, except care’s.`,
    );
  }
  const cap = policy.dailyCap ?? group.dailyPushCap;
  if (cap) {
    const action =
      policy.dailyCapAction === 'fail' ? 'further pushes fail' : 'further pushes wait for the next day';
    lines.push(`At most ${String(cap)} pushes a day; ${action}.`);
  }
  const method = policy.securityMethod ?? group.securityMethod;
  if (method)
    lines.push(
      `Signed with ${String(method)}${String(method).startsWith('USER') ? ' (the PIN goes in a separate text)' : ''}.`,
    );
  return lines;
}
