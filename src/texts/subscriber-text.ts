/**
 * A text for a subscriber in their language, with the values every template may use filled from the
 * configuration: the short code to answer to, its keywords, the confirm keyword.
 */
import type { Config } from '../config.ts';
import { keywordList, senderOf } from '../subscribers/request-keywords.ts';
import { renderText, type TextName } from './templates.ts';

export type TextSettings = Pick<Config, 'requests' | 'texts' | 'provisioning'>;

export function subscriberText(
  config: TextSettings,
  name: TextName,
  options: { language?: string; shortCode?: string; values?: Readonly<Record<string, string>> } = {},
): string {
  const shortCode = options.shortCode ?? senderOf(config.requests) ?? '';
  return renderText(
    config.texts,
    name,
    {
      shortCode,
      keywords: keywordList(config.requests, shortCode),
      confirmKeyword: config.provisioning.confirmKeyword,
      ...options.values,
    },
    options.language,
  );
}
