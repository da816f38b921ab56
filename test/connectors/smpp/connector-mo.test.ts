import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from './harness.ts';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('SmppConnector MO messages', () => {
  it('decodes GSM default-alphabet text, extension characters included', async () => {
    harness = await startHarness();
    await harness.sim.injectMo({
      from: '447700900001',
      to: '1234',
      text: 'SETTINGS @£€ {x}',
      coding: 'gsm7',
    });
    await waitFor('an MO', () => harness!.mos.length === 1);
    expect(harness.mos[0]).toMatchObject({
      smscId: 'smsc',
      from: '447700900001',
      to: '1234',
      text: 'SETTINGS @£€ {x}',
      dataCoding: 0,
    });
    expect(harness.mos[0].ussd).toBeUndefined();
    expect(harness.receipts).toHaveLength(0);
  });

  it('decodes Latin-1 and UCS-2 text', async () => {
    harness = await startHarness();
    await harness.sim.injectMo({ from: '447700900001', to: '1234', text: 'café', coding: 'latin1' });
    await harness.sim.injectMo({ from: '447700900001', to: '1234', text: 'Привет 😀', coding: 'ucs2' });
    await waitFor('two MOs', () => harness!.mos.length === 2);
    expect(harness.mos.map((m) => [m.text, m.dataCoding])).toEqual([
      ['café', 3],
      ['Привет 😀', 8],
    ]);
  });

  it('reads long text from message_payload', async () => {
    harness = await startHarness();
    const text = 'x'.repeat(300);
    await harness.sim.injectMo({ from: '447700900001', to: '1234', text, coding: 'gsm7' });
    await waitFor('an MO', () => harness!.mos.length === 1);
    expect(harness.mos[0].text).toBe(text);
  });

  it('marks USSD with its service operation', async () => {
    harness = await startHarness();
    await harness.sim.injectMo({
      from: '447700900001',
      to: '*123#',
      text: '*123*1#',
      ussd: { op: 'pssr-indication' },
    });
    await waitFor('a USSD message', () => harness!.mos.length === 1);
    expect(harness.mos[0]).toMatchObject({ text: '*123*1#', ussd: { serviceOp: 1 } });
  });

  it('receives MO on the receiver of a transmitter + receiver pair and answers deliver_sm_resp', async () => {
    harness = await startHarness({}, { bindMode: 'tx-rx' });
    await waitFor('both binds', () => harness!.connector.status().every((s) => s.state === 'bound'));
    await harness.sim.injectMo({ from: '447700900001', to: '1234', text: 'HELP' });
    await waitFor('an MO', () => harness!.mos.length === 1);
    expect(harness.mos[0].bindId).toBe('smsc/0/rx');
    expect(harness.sim.counters().deliverSmResps).toBe(1);
  });
});
