import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CodecError } from '../../codecs/errors.ts';

/** What a command needs from the outside world; tests pass their own. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
  /** stdout is a terminal: progress may be redrawn in place (otherwise plain lines) */
  isTerminal?: boolean;
}

/** A user mistake: printed as one line on stderr, exit code 2, never a stack trace. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** node:util parseArgs (strict, with positionals) whose mistakes become one-line UsageErrors. */
export function parseCommandLine<const O extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: O,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export type Command = (argv: string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  start: {
    summary: 'run the gateway (roles: all (default), api, worker, smsc-sim)',
    load: async () => (await import('./commands/start.ts')).startCommand,
  },
  encode: {
    summary: 'encode a provisioning XML document into signed SMS segments',
    load: async () => (await import('./commands/encode.ts')).encodeCommand,
  },
  decode: {
    summary: 'decode SMS segments (or a WSP PDU) back into the document, verifying its MAC',
    load: async () => (await import('./commands/decode.ts')).decodeCommand,
  },
  import: {
    summary: 'import data into the store: `otagw import devices|subscribers FILE.csv`',
    load: async () => (await import('./commands/import.ts')).importCommand,
  },
  audit: {
    summary: 'print the audit log, newest first (--since, --until, --actor; --json for JSON lines)',
    load: async () => (await import('./commands/audit.ts')).auditCommand,
  },
  keys: {
    summary: 'create, list or revoke API keys (a new key is printed once)',
    load: async () => (await import('./commands/keys.ts')).keysCommand,
  },
  campaign: {
    summary: 'create, preview, start, pause, resume, cancel, watch or list campaigns (through the API)',
    load: async () => (await import('./commands/campaign.ts')).campaignCommand,
  },
  certs: {
    summary: 'create a development CA, server and client certificates for mTLS',
    load: async () => (await import('./commands/certs.ts')).certsCommand,
  },
  doctor: {
    summary: 'check config, Redis, store and migrations, each SMSC (a real bind) and TLS files; says the fix',
    load: async () => (await import('./commands/doctor.ts')).doctorCommand,
  },
  'smsc-sim': {
    summary: 'run the fault-injecting SMSC simulator with its virtual handsets',
    load: async () => (await import('./commands/smsc-sim.ts')).smscSimCommand,
  },
};

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  isTerminal: process.stdout.isTTY === true,
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(10)} ${summary}`);
  return ['usage: otagw <command> [options]', '', 'commands:', ...lines, ''].join('\n');
}

/** Runs one command and returns the process exit code. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr(`otagw: unknown command '${name}' (try 'otagw --help')\n`);
    return 2;
  }
  try {
    return await (
      await command.load()
    )(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`otagw ${name}: ${error.message}\n`);
      return 2;
    }
    if (error instanceof CodecError) {
      const where =
        error.line !== undefined
          ? ` (line ${error.line})`
          : error.offset >= 0
            ? ` (offset ${error.offset})`
            : '';
      io.stderr(`otagw ${name}: ${error.code}: ${error.message}${where}\n`);
      return 1;
    }
    io.stderr(`otagw ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
