/**
 * Readers for the deployment files, for tests that check them without a Docker engine: a Dockerfile
 * line parser (continuations, comments, stages, global ARGs, exec and shell forms) and Docker Compose's
 * variable interpolation.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { loadConfig, type Config } from '../../src/config.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CONFIG_DIR = fileURLToPath(new URL('../../config/', import.meta.url));

export function repoFile(path: string): string {
  return readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
}

// ---- Dockerfile --------------------------------------------------------------------------------------

export interface Instruction {
  /** upper case: FROM, RUN, COPY, ... */
  keyword: string;
  /** the rest of the instruction, continuation lines joined with one space */
  args: string;
  /** 1-based line where it starts */
  line: number;
}

export interface Stage {
  /** the AS name, or the stage's index as a string */
  name: string;
  /** the FROM image with the global ARG defaults substituted */
  base: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs before the first FROM, with their defaults */
  globalArgs: Record<string, string | undefined>;
  stages: Stage[];
}

export function parseInstructions(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending: { start: number; parts: string[] } | undefined;
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index];
    const trimmed = raw.trim();
    // Comment lines (parser directives included) and blank lines, also inside a continued instruction.
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const continued = /\\\s*$/.test(raw);
    const part = continued ? raw.replace(/\\\s*$/, '').trim() : trimmed;
    if (!pending) pending = { start: index + 1, parts: [] };
    pending.parts.push(part);
    if (continued) continue;
    const joined = pending.parts.filter((piece) => piece !== '').join(' ');
    const match = /^(\S+)\s*(.*)$/.exec(joined);
    if (match) instructions.push({ keyword: match[1].toUpperCase(), args: match[2], line: pending.start });
    pending = undefined;
  }
  if (pending) throw new Error(`Dockerfile ends inside a continued instruction (line ${pending.start})`);
  return instructions;
}

function substitute(text: string, vars: Record<string, string | undefined>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, a, b) => {
    const value = vars[(a ?? b) as string];
    if (value === undefined) throw new Error(`Dockerfile: ARG ${a ?? b} has no value`);
    return value;
  });
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string | undefined> = {};
  const stages: Stage[] = [];
  for (const instruction of parseInstructions(text)) {
    if (instruction.keyword === 'FROM') {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!match) throw new Error(`line ${instruction.line}: cannot read FROM ${instruction.args}`);
      stages.push({
        name: match[2] ?? String(stages.length),
        base: substitute(match[1], globalArgs),
        instructions: [],
      });
    } else if (stages.length === 0) {
      if (instruction.keyword !== 'ARG')
        throw new Error(`line ${instruction.line}: ${instruction.keyword} before the first FROM`);
      const [name, value] = instruction.args.split('=', 2);
      globalArgs[name.trim()] = value;
    } else {
      stages[stages.length - 1].instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

/** The JSON (exec) form of CMD / ENTRYPOINT / HEALTHCHECK CMD, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.trimStart().startsWith('[')) return undefined;
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string'))
    throw new Error(`not an exec form: ${args}`);
  return parsed;
}

/** ENV KEY=value [KEY=value ...] (values optionally quoted) or the legacy ENV KEY value. */
export function envOf(args: string): Record<string, string> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(args)) {
    const [name, ...rest] = args.split(/\s+/);
    return { [name]: rest.join(' ') };
  }
  const env: Record<string, string> = {};
  const pair = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;
  for (const match of args.matchAll(pair)) {
    const value = match[2];
    env[match[1]] =
      value.startsWith('"') || value.startsWith("'") ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value;
  }
  return env;
}

/** HEALTHCHECK [--option=value ...] CMD ... | NONE */
export function healthcheckOf(args: string): { options: Record<string, string>; command: string } {
  const options: Record<string, string> = {};
  let rest = args.trim();
  for (let match = /^--([a-z-]+)=(\S+)\s+/.exec(rest); match; match = /^--([a-z-]+)=(\S+)\s+/.exec(rest)) {
    options[match[1]] = match[2];
    rest = rest.slice(match[0].length);
  }
  if (/^NONE$/i.test(rest)) return { options, command: '' };
  const command = /^CMD\s+(.*)$/i.exec(rest);
  if (!command) throw new Error(`HEALTHCHECK without CMD: ${args}`);
  return { options, command: command[1] };
}

// ---- Docker Compose ----------------------------------------------------------------------------------

/**
 * Compose's interpolation of one value: $$, $NAME, ${NAME}, ${NAME:-default}, ${NAME-default},
 * ${NAME:?error}, ${NAME?error}, ${NAME:+alt}, ${NAME+alt}. A failing `?` throws with its message.
 */
export function interpolate(text: string, vars: Readonly<Record<string, string | undefined>>): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, braced: string | undefined, op: string | undefined, word: string | undefined, bare) => {
      if (whole === '$$') return '$';
      const name = (braced ?? bare) as string;
      const value = vars[name];
      const unset = op?.startsWith(':') ? value === undefined || value === '' : value === undefined;
      switch (op?.replace(':', '')) {
        case undefined:
          return value ?? '';
        case '-':
          return unset ? (word ?? '') : (value as string);
        case '?':
          if (unset) throw new Error(`required variable ${name} is missing a value: ${word ?? ''}`);
          return value as string;
        case '+':
          return unset ? '' : (word ?? '');
        default:
          throw new Error(`unknown interpolation ${whole}`);
      }
    },
  );
}

function interpolateAll(value: unknown, vars: Readonly<Record<string, string | undefined>>): unknown {
  if (typeof value === 'string') return interpolate(value, vars);
  if (Array.isArray(value)) return value.map((item) => interpolateAll(item, vars));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [key, interpolateAll(inner, vars)]),
    );
  }
  return value;
}

export type ComposeService = Record<string, unknown> & {
  image?: string;
  build?: string | { context?: string; dockerfile?: string; target?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: Array<string | { type?: string; source?: string; target?: string; read_only?: boolean }>;
  ports?: Array<string | number | Record<string, unknown>>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  container_name?: string;
  restart?: string;
};

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** The compose file as `docker compose config` would see it: YAML merge keys applied, interpolated. */
export function loadCompose(text: string, vars: Readonly<Record<string, string | undefined>>): ComposeFile {
  const parsed = parseYaml(text, { merge: true }) as ComposeFile;
  return interpolateAll(parsed, vars) as ComposeFile;
}

/** A service's environment as name -> value; a name without a value (taken from the shell) is null. */
export function environmentOf(service: ComposeService): Record<string, string | null> {
  const env: Record<string, string | null> = {};
  const { environment } = service;
  if (Array.isArray(environment)) {
    for (const entry of environment) {
      const equals = entry.indexOf('=');
      if (equals < 0) env[entry] = null;
      else env[entry.slice(0, equals)] = entry.slice(equals + 1);
    }
  } else if (environment) {
    for (const [name, value] of Object.entries(environment))
      env[name] = value === null ? null : String(value);
  }
  return env;
}

/** The argv a service's `command:` passes to the entrypoint (the list form, or a string split on blanks). */
export function commandOf(service: ComposeService): string[] {
  const { command } = service;
  if (command === undefined) return [];
  return Array.isArray(command) ? command : command.split(/\s+/).filter(Boolean);
}

// ---- configuration ----------------------------------------------------------------------------------

/** loadConfig (config/ of this repository) with an environment that records every name it looks at. */
export function configReads(env: Readonly<Record<string, string | undefined>>): {
  read: Set<string>;
  config: Config;
} {
  const read = new Set<string>();
  const recording = new Proxy(
    { ...env },
    {
      get: (target, key) => {
        if (typeof key === 'string') read.add(key);
        return target[key as string];
      },
      has: (target, key) => {
        if (typeof key === 'string') read.add(key);
        return key in target;
      },
    },
  );
  const config = loadConfig({ env: recording, configDir: CONFIG_DIR });
  return { read, config };
}
