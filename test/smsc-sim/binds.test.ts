import { afterEach, describe, expect, it } from 'vitest';
import { startSmscSimulator, type SmscSimulator } from '../../src/smsc-sim/index.ts';
import { TestClient, sleep } from './smpp-test-client.ts';

const accounts = [
  { systemId: 'alpha', password: 'pw-alpha' },
  { systemId: 'beta', password: 'pw-beta' },
];

let sim: SmscSimulator;
const clients: TestClient[] = [];
async function client(): Promise<TestClient> {
  const connected = await TestClient.connect(sim.port);
  clients.push(connected);
  return connected;
}

afterEach(async () => {
  for (const connected of clients.splice(0)) connected.close();
  await sim?.close();
});

describe('binds', () => {
  it.each(['bind_transceiver', 'bind_transmitter', 'bind_receiver'] as const)(
    'accepts %s with the right credentials',
    async (command) => {
      sim = await startSmscSimulator({ accounts });
      const response = await (await client()).request(command, { system_id: 'alpha', password: 'pw-alpha' });
      expect(response.command).toBe(`${command}_resp`);
      expect(response.command_status).toBe(0);
      expect(response.system_id).toBe('otagw-sim');
      expect(sim.counters().binds).toMatchObject({ current: 1, total: 1 });
      expect(sim.binds()).toEqual([expect.objectContaining({ systemId: 'alpha', mode: command.slice(5) })]);
    },
  );

  it('refuses a wrong password with ESME_RINVPASWD and an unknown system_id with ESME_RINVSYSID', async () => {
    sim = await startSmscSimulator({ accounts });
    const wrongPassword = await (
      await client()
    ).request('bind_transceiver', { system_id: 'alpha', password: 'nope' });
    const unknownSystem = await (
      await client()
    ).request('bind_transceiver', { system_id: 'gamma', password: 'x' });
    expect(wrongPassword.command_status).toBe(0x0e);
    expect(unknownSystem.command_status).toBe(0x0f);
    expect(sim.counters().binds).toMatchObject({ current: 0, rejected: 2 });
    expect(sim.counters().errors).toEqual({ ESME_RINVPASWD: 1, ESME_RINVSYSID: 1 });
  });

  it('refuses every bind with ESME_RBINDFAIL when told to, and accepts again when told so', async () => {
    sim = await startSmscSimulator({ accounts, behaviour: { rejectBinds: true } });
    const refused = await (
      await client()
    ).request('bind_transceiver', { system_id: 'alpha', password: 'pw-alpha' });
    expect(refused.command_status).toBe(0x0d);
    sim.setBehaviour({ rejectBinds: false });
    const accepted = await (
      await client()
    ).request('bind_transceiver', { system_id: 'alpha', password: 'pw-alpha' });
    expect(accepted.command_status).toBe(0);
  });

  it('answers a second bind on the same session with ESME_RALYBND', async () => {
    sim = await startSmscSimulator({ accounts });
    const session = await client();
    await session.request('bind_transceiver', { system_id: 'alpha', password: 'pw-alpha' });
    const again = await session.request('bind_transceiver', { system_id: 'alpha', password: 'pw-alpha' });
    expect(again.command_status).toBe(0x05);
  });

  it('answers submit_sm on a receiver bind or before binding with ESME_RINVBNDSTS', async () => {
    sim = await startSmscSimulator({ accounts });
    const unbound = await client();
    expect((await unbound.submit({})).command_status).toBe(0x04);
    const receiver = await client();
    await receiver.request('bind_receiver', { system_id: 'alpha', password: 'pw-alpha' });
    expect((await receiver.submit({})).command_status).toBe(0x04);
  });

  it('answers enquire_link, and stops answering when silenced', async () => {
    sim = await startSmscSimulator({ accounts });
    const session = await client();
    await session.request('bind_transceiver', { system_id: 'alpha', password: 'pw-alpha' });
    expect((await session.request('enquire_link')).command).toBe('enquire_link_resp');
    sim.setBehaviour({ silentEnquireLink: true });
    const unanswered = await Promise.race([
      session.request('enquire_link').then(() => 'answered'),
      sleep(100).then(() => 'silent'),
    ]);
    expect(unanswered).toBe('silent');
    expect(sim.counters().enquireLinks).toEqual({ received: 2, answered: 1 });
  });

  it('answers unbind and closes the connection', async () => {
    sim = await startSmscSimulator({ accounts });
    const session = await client();
    await session.request('bind_transceiver', { system_id: 'alpha', password: 'pw-alpha' });
    expect((await session.request('unbind')).command).toBe('unbind_resp');
    await session.waitForClose();
    expect(sim.counters().binds.current).toBe(0);
  });

  it('closes every connection on dropConnections, without unbind', async () => {
    sim = await startSmscSimulator({ accounts });
    const first = await TestClient.bound(sim.port, 'alpha', 'pw-alpha');
    const second = await TestClient.bound(sim.port, 'beta', 'pw-beta');
    clients.push(first, second);
    sim.dropConnections('alpha');
    await first.waitForClose();
    expect(second.closed).toBe(false);
    sim.dropConnections();
    await second.waitForClose();
    expect(sim.counters()).toMatchObject({ binds: { current: 0, total: 2 }, connectionsDropped: 2 });
  });

  it('refuses accounts SMPP cannot carry, with SIM_INVALID_ACCOUNT', async () => {
    await expect(
      startSmscSimulator({ accounts: [{ systemId: 'a', password: 'ninechars' }] }),
    ).rejects.toMatchObject({
      code: 'SIM_INVALID_ACCOUNT',
    });
    await expect(
      startSmscSimulator({ accounts: [{ systemId: 'x'.repeat(16), password: '' }] }),
    ).rejects.toMatchObject({
      code: 'SIM_INVALID_ACCOUNT',
    });
    sim = await startSmscSimulator();
  });

  it('fails to start, leaving nothing open, when its port is taken', async () => {
    sim = await startSmscSimulator();
    const error = await startSmscSimulator({ port: sim.port }).catch((caught: unknown) => caught);
    expect((error as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
  });

  it('uses the default otagw account when none is configured', async () => {
    sim = await startSmscSimulator();
    const bound = await TestClient.bound(sim.port, 'otagw', 'otagwsim');
    clients.push(bound);
    expect(sim.counters().binds.current).toBe(1);
  });
});
