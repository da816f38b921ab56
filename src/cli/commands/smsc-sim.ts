/**
 * `otagw smsc-sim`: the simulator alone, set by its flags. It loads no configuration (config/*.yaml are
 * the gateway's settings, not the simulator's, and an error in them should not stop a test SMSC); the
 * one setting it shares with the gateway's simulator is the control token, which a secret should not be
 * on a command line for: without --control-token it comes from OTAGW_SIM_CONTROL_TOKEN (or
 * OTAGW_SMSC_SIM_CONTROL_TOKEN), read by src/config.ts as for `otagw start`, else one is generated and
 * printed. The control API is a test tool (issue 15 #12): off unless --control-port asks for it, on
 * loopback unless --control-host says otherwise, always behind a bearer token.
 */
import { parseArgs } from 'node:util';
import { simulatorControlTokenFromEnv } from '../../config.ts';
import { BehaviourError } from '../../smsc-sim/behaviour.ts';
import { generatedControlToken } from '../../smsc-sim/control-api.ts';
import {
  DEFAULT_ACCOUNT,
  SimulatorConfigError,
  startSmscSimulator,
  type SimulatorConfigErrorCode,
  type SmscAccount,
  type SmscSimulatorOptions,
} from '../../smsc-sim/simulator.ts';
import type { SubscriberCredentials } from '../../smsc-sim/handset.ts';
import { UsageError, type CliIo } from '../main.ts';
import { runUntilSignal } from '../until-signal.ts';

/** The SMPP port SMSCs conventionally listen on (IANA "smpp"). */
const DEFAULT_SMPP_PORT = 2775;

export const SMSC_SIM_USAGE = `usage: otagw smsc-sim [options]
  --host ADDR              listen address (default 127.0.0.1)
  --port N                 SMPP port (default ${DEFAULT_SMPP_PORT}; 0 = any free port)
  --control-port N|off     HTTP control API port (default off; 0 = any free port; 2776 is customary)
  --control-host ADDR      where the control API listens (default 127.0.0.1, whatever --host is)
  --control-token TOKEN    bearer token the control API asks for (default: $OTAGW_SIM_CONTROL_TOKEN,
                           else one generated at start and printed)
  --account ID:PASSWORD    an account that may bind (repeatable; default ${DEFAULT_ACCOUNT.systemId}:${DEFAULT_ACCOUNT.password})
  --subscriber MSISDN:IMSI[:PIN]
                           a subscriber whose handset verifies MACs (repeatable)
  --behaviour JSON         initial behaviour, e.g. '{"receiptDelayMs":500,"respIdBase":"hex"}'
Runs until SIGINT or SIGTERM. Control API: GET/PATCH /behaviour, GET /counters, GET /binds,
GET /submitted, POST /mo, POST /drop, PUT /subscribers/:msisdn, GET /handsets, GET /handsets/:msisdn.
`;

function port(value: string, flag: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65_535)
    throw new UsageError(`${flag} must be a port number, got '${value}'`);
  return Number(value);
}

function account(value: string): SmscAccount {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new UsageError(`--account must be ID:PASSWORD, got '${value.split(':')[0]}:…'`);
  return { systemId: value.slice(0, colon), password: value.slice(colon + 1) };
}

function subscriber(value: string): [string, SubscriberCredentials] {
  const [msisdn, imsi, pin] = value.split(':');
  if (!msisdn || !imsi || !/^\d{6,15}$/.test(imsi)) {
    throw new UsageError(`--subscriber must be MSISDN:IMSI[:PIN] with a 6 to 15 digit IMSI`);
  }
  return [msisdn, pin === undefined ? { imsi } : { imsi, pin }];
}

function behaviourJson(value: string): SmscSimulatorOptions['behaviour'] {
  try {
    return JSON.parse(value) as SmscSimulatorOptions['behaviour'];
  } catch {
    throw new UsageError('--behaviour is not valid JSON');
  }
}

function parseOptions(
  argv: string[],
  env: Readonly<Record<string, string | undefined>> | undefined,
): { options: SmscSimulatorOptions; tokenGenerated: boolean } | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'control-port': { type: 'string' },
        'control-host': { type: 'string' },
        'control-token': { type: 'string' },
        account: { type: 'string', multiple: true },
        subscriber: { type: 'string', multiple: true },
        behaviour: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const controlPort = values['control-port'];
  const givenToken = values['control-token'] ?? simulatorControlTokenFromEnv(env);
  const options: SmscSimulatorOptions = {
    host: values.host ?? '127.0.0.1',
    port: values.port === undefined ? DEFAULT_SMPP_PORT : port(values.port, '--port'),
    controlPort:
      controlPort === 'off' || controlPort === undefined ? null : port(controlPort, '--control-port'),
    controlHost: values['control-host'] ?? '127.0.0.1',
    controlToken: givenToken ?? generatedControlToken(),
    accounts: values.account?.map(account),
    subscribers: values.subscriber ? Object.fromEntries(values.subscriber.map(subscriber)) : undefined,
    behaviour: values.behaviour === undefined ? undefined : behaviourJson(values.behaviour),
  };
  return { options, tokenGenerated: givenToken === undefined };
}

/** Where the control API is and how to call it; a generated token is printed, one the caller gave never. */
function controlApiLine(url: string | undefined, token: string | undefined, generated: boolean): string {
  if (!url) return 'otagw smsc-sim: control API off (--control-port N to turn it on)\n';
  const how = generated ? `bearer token required: Authorization: Bearer ${token}` : 'bearer token required';
  return `otagw smsc-sim: control API on ${url} (${how})\n`;
}

/** Where a SimulatorConfigError comes from, for its usage message. */
const CONFIG_ERROR_SOURCE: Record<SimulatorConfigErrorCode, string> = {
  SIM_INVALID_ACCOUNT: '--account',
  SIM_CONTROL_TOKEN_REQUIRED: '--control-token',
  SIM_INVALID_CONTROL_TOKEN: '--control-token',
};

/**
 * The command body, stoppable by a signal (tests abort it; the CLI wires SIGINT/SIGTERM). `env`: where
 * the control token is looked up without --control-token (default the process environment).
 */
export async function runSmscSim(
  argv: string[],
  io: CliIo,
  stop: AbortSignal,
  env?: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  const parsed = parseOptions(argv, env);
  if (parsed === 'help') {
    io.stdout(SMSC_SIM_USAGE);
    return 0;
  }
  const { options } = parsed;
  let sim;
  try {
    sim = await startSmscSimulator(options);
  } catch (error) {
    if (error instanceof BehaviourError) throw new UsageError(`--behaviour: ${error.message}`);
    if (error instanceof SimulatorConfigError) {
      throw new UsageError(`${CONFIG_ERROR_SOURCE[error.code]}: ${error.message} (${error.code})`);
    }
    throw error;
  }
  const accounts = options.accounts
    ? options.accounts.map((entry) => entry.systemId).join(', ')
    : `${DEFAULT_ACCOUNT.systemId} (password ${DEFAULT_ACCOUNT.password}; a simulator test account)`;
  io.stdout(`otagw smsc-sim: SMPP listening on ${sim.host}:${sim.port}, accounts: ${accounts}\n`);
  io.stdout(controlApiLine(sim.controlUrl, options.controlToken, parsed.tokenGenerated));
  if (!stop.aborted)
    await new Promise<void>((resolve) => stop.addEventListener('abort', () => resolve(), { once: true }));
  const counters = sim.counters();
  await sim.close();
  io.stdout(
    `otagw smsc-sim: stopped after ${counters.binds.total} binds, ${counters.submits.received} submits, ` +
      `${counters.receipts.sent} receipts\n`,
  );
  return 0;
}

export async function smscSimCommand(argv: string[], io: CliIo): Promise<number> {
  return runUntilSignal((stop) => runSmscSim(argv, io, stop));
}
