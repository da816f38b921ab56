/**
 * The pure parts of subscriber requests: which MO message is a keyword, a USSD request, an answer or a
 * help case (request-keywords.ts), what config requests: and texts: accept, and how a text is worded
 * per language (texts/templates.ts). The whole path over SMPP is in test/e2e/keywords.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.ts';
import {
  keywordList,
  normaliseRequestText,
  routeMo,
  senderOf,
  requestsConfigSchema,
} from '../../src/subscribers/request-keywords.ts';
import { renderText, textsConfigSchema } from '../../src/texts/templates.ts';

const CONFIG_DIR = resolve(import.meta.dirname, '../../config');
const ANSWERS = new Set(['YES', 'NO', 'N', 'STOP', 'CANCEL']);

function loadWith(overrides: Record<string, unknown>) {
  return loadConfig({ env: {}, configDir: CONFIG_DIR, overrides: overrides as never });
}

describe('routing an MO message', () => {
  const requests = loadWith({}).requests;

  it('ships 2020 with SETTINGS (the rules), INTERNET and MMS (the seed profile) and USSD *123#', () => {
    expect(requests.shortCodes).toEqual([
      {
        code: '2020',
        keywords: [
          { keyword: 'SETTINGS' },
          { keyword: 'INTERNET', profile: 'northwind-standard' },
          { keyword: 'MMS', profile: 'northwind-standard' },
        ],
      },
    ]);
    expect(requests.ussd).toEqual([{ code: '*123#' }]);
    expect(senderOf(requests)).toBe('2020');
  });

  it('matches keywords whatever the case, spacing and trailing punctuation', () => {
    for (const text of ['SETTINGS', 'settings', '  Settings ', 'sett ings', 'settings!']) {
      expect(routeMo(requests, ANSWERS, { to: '2020', text })).toEqual({
        kind: 'keyword',
        shortCode: '2020',
        keyword: 'SETTINGS',
        profile: undefined,
      });
    }
    expect(routeMo(requests, ANSWERS, { to: '2020', text: 'mms' })).toMatchObject({
      kind: 'keyword',
      profile: 'northwind-standard',
    });
  });

  it('sends YES/NO at a short code to the question, anything else there to help', () => {
    expect(routeMo(requests, ANSWERS, { to: '2020', text: 'yes' })).toEqual({
      kind: 'answer',
      shortCode: '2020',
    });
    expect(routeMo(requests, ANSWERS, { to: '2020', text: 'No.' })).toEqual({
      kind: 'answer',
      shortCode: '2020',
    });
    expect(routeMo(requests, ANSWERS, { to: '2020', text: 'BALANCE' })).toEqual({
      kind: 'help',
      shortCode: '2020',
    });
  });

  it('keeps messages to other numbers as answers, as before keywords existed, and ignores empty ones', () => {
    expect(routeMo(requests, ANSWERS, { to: '1234', text: 'SETTINGS' })).toEqual({
      kind: 'answer',
      shortCode: undefined,
    });
    expect(routeMo(requests, ANSWERS, { to: '2020', text: '   ' })).toEqual({ kind: 'ignore' });
  });

  it('recognises a USSD request by its text or its destination, and ignores USSD it does not serve', () => {
    const expected = { kind: 'ussd', code: '*123#', profile: undefined };
    expect(routeMo(requests, ANSWERS, { to: '123', text: '*123#', ussd: { serviceOp: 1 } })).toEqual(
      expected,
    );
    expect(routeMo(requests, ANSWERS, { to: '*123#', text: '', ussd: { serviceOp: 1 } })).toEqual(expected);
    expect(routeMo(requests, ANSWERS, { to: '2020', text: '*123 #' })).toEqual(expected);
    expect(routeMo(requests, ANSWERS, { to: '999', text: '*999#', ussd: { serviceOp: 1 } })).toEqual({
      kind: 'ignore',
    });
  });

  it('lists a short code’s keywords for the help text', () => {
    expect(keywordList(requests, '2020')).toBe('SETTINGS, INTERNET or MMS');
    expect(normaliseRequestText(' Ａｂｃ ')).toBe('ABC'); // full-width letters too (NFKC)
  });
});

describe('config requests: and texts:', () => {
  it('refuses a keyword listed twice (case and spaces do not count) and a malformed code, naming the field', () => {
    const twice = requestsConfigSchema.safeParse({
      shortCodes: [{ code: '2020', keywords: [{ keyword: 'MMS' }, { keyword: ' mms' }] }],
    });
    expect(twice.success).toBe(false);
    expect(twice.error?.issues[0].path).toEqual(['shortCodes', 0, 'keywords', 1]);
    expect(() => loadWith({ requests: { ussd: [{ code: '123' }] } })).toThrow(/requests\.ussd\.0\.code/);
    expect(() =>
      loadWith({ requests: { shortCodes: [{ code: 'ABC', keywords: [{ keyword: 'X' }] }] } }),
    ).toThrow(ConfigError);
  });

  it('refuses a template with a placeholder it cannot have, and a PIN text without {pin}', () => {
    expect(() => loadWith({ texts: { languages: { en: { help: 'send {keyword}' } } } })).toThrow(
      /texts\.languages\.en\.help: unknown placeholder \{keyword\}/,
    );
    expect(() => loadWith({ texts: { languages: { de: { pin: 'Ihre PIN kommt gleich.' } } } })).toThrow(
      /texts\.languages\.de\.pin: must contain \{pin\}/,
    );
    expect(() => loadWith({ texts: { languages: { English: {} } } })).toThrow(ConfigError);
  });

  it('words a text in the subscriber’s language, else the default language, else the built-in English', () => {
    const texts = textsConfigSchema.parse({
      defaultLanguage: 'de',
      languages: { de: { pin: 'Ihre PIN: {pin}' }, ru: { onTheWay: 'Настройки в пути.' } },
    });
    expect(renderText(texts, 'onTheWay', {}, 'ru')).toBe('Настройки в пути.');
    expect(renderText(texts, 'pin', { pin: '1234' }, 'ru')).toBe('Ihre PIN: 1234');
    expect(renderText(texts, 'pin', { pin: '1234' }, undefined)).toBe('Ihre PIN: 1234');
    expect(renderText(texts, 'help', { keywords: 'SETTINGS', shortCode: '2020' }, 'fr')).toBe(
      'To get the settings for your phone, send SETTINGS to 2020.',
    );
  });

  it('ships English and German texts', () => {
    const config = loadWith({});
    expect(config.texts.defaultLanguage).toBe('en');
    expect(Object.keys(config.texts.languages)).toEqual(['en', 'de']);
    expect(config.texts.languages.de?.pin).toContain('{pin}');
  });
});
