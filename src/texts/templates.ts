/**
 * Every text the gateway sends a subscriber, as a template per language: config `texts:` names a default
 * language and per-language overrides; a text a language does not define comes from the default
 * language, and one neither defines from the built-in English below. Placeholders are `{name}`.
 */
import { z } from 'zod';

export const TEXT_NAMES = [
  /** an unknown keyword, or an empty one, at a short code */
  'help',
  /** a keyword, USSD request or YES was taken: a push follows */
  'onTheWay',
  /** the handset's model is not in the catalogue, or is marked as not configurable */
  'unsupportedDevice',
  /** a request from a SIM whose IMSI we do not know and the SMSC did not tell */
  'unidentifiedSim',
  /** ask-first: the question, answered with provisioning.confirmKeyword */
  'confirmation',
  /** USER* security: the PIN the handset asks for when the push arrives (docs/protocol.md §3.4) */
  'pin',
  /** the subscriber answered NO */
  'declined',
  /** the answer came after the question expired */
  'tooLate',
] as const;
export type TextName = (typeof TEXT_NAMES)[number];

/** What a template may name; `{pin}` only in `pin`. */
export const TEXT_PLACEHOLDERS: Readonly<Record<TextName, readonly string[]>> = {
  help: ['shortCode', 'keywords'],
  onTheWay: ['shortCode'],
  unsupportedDevice: ['shortCode'],
  unidentifiedSim: ['shortCode'],
  confirmation: ['shortCode', 'confirmKeyword'],
  pin: ['pin'],
  declined: ['shortCode', 'keywords'],
  tooLate: ['shortCode', 'keywords'],
};

export const BUILT_IN_TEXTS: Readonly<Record<TextName, string>> = {
  help: 'To get the settings for your phone, send {keywords} to {shortCode}.',
  onTheWay: 'Your phone settings are on their way. Save them when your phone asks.',
  unsupportedDevice: 'Sorry, your phone model cannot be configured over the air.',
  unidentifiedSim: 'Sorry, we could not identify your SIM card. Please call customer care.',
  confirmation:
    'New settings are ready for your phone. Reply {confirmKeyword} to {shortCode} to receive them.',
  pin: 'Your PIN for the new phone settings is {pin}.',
  declined: 'You declined the new settings. Send {keywords} to {shortCode} if you want them later.',
  tooLate: 'Your answer came too late. Send {keywords} to {shortCode} to ask for the settings again.',
};

/** BCP 47 in the short form operators use: `en`, `de`, `pt-BR`. */
const LANGUAGE_TAG = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
export const languageTagSchema = z
  .string()
  .regex(LANGUAGE_TAG, { error: 'must be a language tag like en or pt-BR' });

const PLACEHOLDER = /\{([A-Za-z]+)\}/g;

function placeholdersOf(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((match) => match[1]);
}

const languageTextsSchema = z.strictObject(
  Object.fromEntries(TEXT_NAMES.map((name) => [name, z.string().min(1).optional()])) as Record<
    TextName,
    z.ZodOptional<z.ZodString>
  >,
);

export const textsConfigSchema = z
  .strictObject({
    /** the language of a subscriber whose group policy names none, and the fallback of every other */
    defaultLanguage: languageTagSchema.default('en'),
    /** per language, the texts it words its own way; the others come from the default language */
    languages: z.record(languageTagSchema, languageTextsSchema).default({}),
  })
  .superRefine((texts, context) => {
    for (const [language, templates] of Object.entries(texts.languages)) {
      for (const name of TEXT_NAMES) {
        const template = templates[name];
        if (template === undefined) continue;
        const unknown = placeholdersOf(template).filter((key) => !TEXT_PLACEHOLDERS[name].includes(key));
        if (unknown.length > 0) {
          context.addIssue({
            code: 'custom',
            path: ['languages', language, name],
            message: `unknown placeholder {${unknown[0]}}; ${name} may use ${TEXT_PLACEHOLDERS[name].map((key) => `{${key}}`).join(', ')}`,
          });
        }
        // without it the subscriber never learns the PIN the push is signed with
        if (name === 'pin' && !placeholdersOf(template).includes('pin')) {
          context.addIssue({
            code: 'custom',
            path: ['languages', language, name],
            message: 'must contain {pin}',
          });
        }
      }
    }
  });

export type TextsConfig = z.output<typeof textsConfigSchema>;

/** The template of a text in a language: that language's, else the default language's, else built in. */
export function templateFor(texts: TextsConfig, name: TextName, language: string | undefined): string {
  const own = language === undefined ? undefined : texts.languages[language]?.[name];
  return own ?? texts.languages[texts.defaultLanguage]?.[name] ?? BUILT_IN_TEXTS[name];
}

/** The text with its placeholders filled; a placeholder without a value stays as written. */
export function renderText(
  texts: TextsConfig,
  name: TextName,
  values: Readonly<Record<string, string>>,
  language?: string,
): string {
  return templateFor(texts, name, language).replace(
    PLACEHOLDER,
    (whole, key: string) => values[key] ?? whole,
  );
}
