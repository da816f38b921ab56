/**
 * What a subscriber may ask for by themselves, as config `requests:` lists it: short codes with keywords
 * (`SETTINGS` to 2020) and USSD service codes (`*123#`), each naming a profile or leaving the choice to the
 * selection rules. Schema and the pure routing of an MO message; requests.ts acts on the route.
 */
import { z } from 'zod';

/** SMPP addresses are C-strings of at most 21 octets with the NUL (SMPP 3.4 §5.2.8; docs/protocol.md §6.4). */
const MAX_ADDRESS = 20;

const profileChoice = {
  /** a profile name or id; absent: what the selection rules select for the handset */
  profile: z.string().min(1).optional(),
};

const keywordSchema = z.strictObject({ keyword: z.string().min(1), ...profileChoice });

const shortCodeSchema = z.strictObject({
  code: z.string().regex(/^[0-9]{2,20}$/, { error: 'must be 2 to 20 digits' }),
  keywords: z.array(keywordSchema).min(1),
});

/** A USSD string as the handset dials it: starts with * or #, ends with # (TS 22.090 §2). */
const ussdCodeSchema = z.strictObject({
  code: z.string().regex(/^[*#][0-9*#]{0,18}#$/, { error: 'must look like *123#' }),
  ...profileChoice,
});

/** What `npm start` answers out of the box: the seed profiles of config/profiles/. */
export const DEFAULT_SHORT_CODES = [
  {
    code: '2020',
    keywords: [
      { keyword: 'SETTINGS' },
      { keyword: 'INTERNET', profile: 'northwind-standard' },
      { keyword: 'MMS', profile: 'northwind-standard' },
    ],
  },
];
export const DEFAULT_USSD_CODES = [{ code: '*123#' }];

/** Case, spaces and trailing punctuation do not matter: ' settings.' is SETTINGS, '*123 #' is *123#. */
export function normaliseRequestText(text: string): string {
  return text
    .normalize('NFKC')
    .toUpperCase()
    .replace(/\s+/g, '')
    .replace(/[.!?,;]+$/, '');
}

export const requestsConfigSchema = z
  .strictObject({
    shortCodes: z.array(shortCodeSchema).default(DEFAULT_SHORT_CODES),
    ussd: z.array(ussdCodeSchema).default(DEFAULT_USSD_CODES),
    /** source address of every text the gateway sends, so the handset can answer; default: the first short code */
    sender: z.string().min(1).max(MAX_ADDRESS).optional(),
  })
  .superRefine((requests, context) => {
    const codes = new Set<string>();
    requests.shortCodes.forEach((shortCode, index) => {
      if (codes.has(shortCode.code))
        context.addIssue({ code: 'custom', path: ['shortCodes', index, 'code'], message: 'listed twice' });
      codes.add(shortCode.code);
      const keywords = new Set<string>();
      shortCode.keywords.forEach((entry, position) => {
        const keyword = normaliseRequestText(entry.keyword);
        if (keyword === '' || keywords.has(keyword)) {
          const message = keyword === '' ? 'is empty' : 'listed twice (case and spaces do not count)';
          context.addIssue({ code: 'custom', path: ['shortCodes', index, 'keywords', position], message });
        }
        keywords.add(keyword);
      });
    });
    const ussd = new Set(requests.ussd.map((entry) => entry.code));
    if (ussd.size !== requests.ussd.length)
      context.addIssue({ code: 'custom', path: ['ussd'], message: 'a code is listed twice' });
  });

export type RequestsConfig = z.output<typeof requestsConfigSchema>;

/** The address texts are sent from: `sender`, else the first short code, else none (the SMSC's own). */
export function senderOf(requests: RequestsConfig): string | undefined {
  return requests.sender ?? requests.shortCodes[0]?.code;
}

/** The keywords of a short code as the help text lists them: "SETTINGS, INTERNET or MMS". */
export function keywordList(requests: RequestsConfig, shortCode: string | undefined): string {
  const entry =
    requests.shortCodes.find((candidate) => candidate.code === shortCode) ?? requests.shortCodes[0];
  const words = (entry?.keywords ?? []).map((keyword) => keyword.keyword.toUpperCase());
  return words.length <= 1
    ? (words[0] ?? '')
    : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/** An MO message as far as routing needs it (connectors/types.ts MoMessage). */
export interface RoutableMo {
  to: string;
  text: string;
  ussd?: { serviceOp: number };
}

export type MoRoute =
  /** YES / NO (and anything else) to a number that is not a short code: an answer to an ask-first question */
  | { kind: 'answer'; shortCode: string | undefined }
  | { kind: 'keyword'; shortCode: string; keyword: string; profile: string | undefined }
  | { kind: 'ussd'; code: string; profile: string | undefined }
  | { kind: 'help'; shortCode: string }
  /** a USSD string we do not serve, or an empty message: nothing to do */
  | { kind: 'ignore' };

/**
 * Where an MO message goes. USSD first: a message the SMSC marked as USSD, or one whose text or destination
 * is a configured USSD code. Then a short code: its keywords, the ask-first answers, else help. Messages
 * to other numbers are answers, as before keywords existed.
 */
export function routeMo(requests: RequestsConfig, answers: ReadonlySet<string>, mo: RoutableMo): MoRoute {
  const text = normaliseRequestText(mo.text);
  const to = normaliseRequestText(mo.to);
  const ussd = requests.ussd.find((entry) => entry.code === text || entry.code === to);
  if (ussd) return { kind: 'ussd', code: ussd.code, profile: ussd.profile };
  if (mo.ussd !== undefined || text === '') return { kind: 'ignore' };
  const shortCode = requests.shortCodes.find((entry) => entry.code === to);
  if (!shortCode) return { kind: 'answer', shortCode: undefined };
  if (answers.has(text)) return { kind: 'answer', shortCode: shortCode.code };
  const keyword = shortCode.keywords.find((entry) => normaliseRequestText(entry.keyword) === text);
  if (!keyword) return { kind: 'help', shortCode: shortCode.code };
  return { kind: 'keyword', shortCode: shortCode.code, keyword: keyword.keyword, profile: keyword.profile };
}
