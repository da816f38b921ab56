import { describe, expect, it } from 'vitest';
import { html as template, raw } from '../../src/console/html.ts';
import { failureInWords, policyInWords, receiptInWords } from '../../src/console/plain-words.ts';
import { isConsolePath } from '../../src/console/router.ts';

// Aliased: prettier formats templates tagged `html`, and these assert the exact text.
describe('console templating', () => {
  it('escapes every interpolated value, nests html fragments as they are, and renders nothing for null and false', () => {
    const reason = `<script>alert("x")</script> & 'quotes' \``;
    const item = template`<li title="${reason}">${reason}</li>`;
    expect(item.text).toBe(
      '<li title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39; &#96;">' +
        '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39; &#96;</li>',
    );
    expect(template`<ul>${[item, null, false, undefined, 0]}</ul>`.text).toBe(`<ul>${item.text}0</ul>`);
    expect(template`${raw('<b>trusted</b>')}`.text).toBe('<b>trusted</b>');
    // A string that looks like a fragment is still text.
    expect(template`${{ text: '<b>' }}`.text).toBe('[object Object]');
  });

  it('lets sign-in send the visitor back only to console pages', () => {
    expect(isConsolePath('/console/subscribers?q=49')).toBe(true);
    expect(isConsolePath('/console')).toBe(true);
    for (const path of [
      '//evil.example/console',
      'https://evil.example/',
      '/console//evil',
      '/consolex',
      '/v1/keys',
    ]) {
      expect(isConsolePath(path), path).toBe(false);
    }
  });
});

describe('receipts and failures in plain words', () => {
  it('names the stat word, its meaning and the err code (GSM MAP errors as most SMSCs pass them)', () => {
    expect(receiptInWords('UNDELIV', '027')).toBe(
      'UNDELIV: handset out of coverage or memory full (err 027: handset switched off or out of coverage)',
    );
    expect(receiptInWords('DELIVRD', '000')).toBe('DELIVRD: delivered to the handset');
    expect(receiptInWords('expired', null)).toBe(
      'EXPIRED: the handset stayed unreachable until the message’s validity ran out',
    );
    expect(receiptInWords('WEIRD', 'X9')).toBe('WEIRD: a state this SMSC names its own way (err X9)');
    expect(receiptInWords(null, null)).toBeUndefined();
  });

  it('puts failure codes and group policies in words', () => {
    expect(failureInWords('SMSC_REJECTD', null)).toContain('refused by the network');
    expect(failureInWords('TOO_MANY_SEGMENTS', 'x')).toBe(
      'the settings do not fit in the SMS this handset can join',
    );
    expect(failureInWords('SOMETHING_NEW', 'what the worker said')).toBe('what the worker said');
    expect(
      policyInWords({
        name: 'prepaid',
        policy: {
          confirmation: 'ask-first',
          confirmFor: ['first-use', 'campaign'],
          quietHours: { start: '21:00', end: '08:00', timeZone: 'Europe/Berlin' },
          dailyCap: 3,
          securityMethod: 'USERPIN',
        },
      }),
    ).toEqual([
      'Asks the subscriber first (they reply to an SMS) when it comes from: first-use, campaign.',
      'Quiet from 21:00 to 08:00 (Europe/Berlin): pushes wait until morning, except care’s.',
      'At most 3 pushes a day; further pushes wait for the next day.',
      'Signed with USERPIN (the PIN goes in a separate text).',
    ]);
  });
});
