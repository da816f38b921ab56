/**
 * CPU time from /proc, for bench:vs-kannel: each process's utime + stime (proc(5): /proc/<pid>/stat fields
 * 14 and 15, in clock ticks, `getconf CLK_TCK`), the machine's busy time from /proc/stat (all cores, idle
 * and iowait excluded), and groups of processes found by name (PostgreSQL: comm `postgres*`, the
 * server's own processes and the backends of one database, told apart by their process titles). Read the same way for Kannel's C processes and otagw's Node ones.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  /** the executable's name (proc(5) comm, at most 15 characters) */
  comm: string;
  utimeTicks: number;
  stimeTicks: number;
}

/**
 * Parses one /proc/<pid>/stat line. comm is in parentheses and may itself hold spaces and parentheses,
 * so the fields are counted from the last ')'. Field 3 is the state; utime and stime are fields 14, 15.
 */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc/<pid>/stat line: ${text.slice(0, 60)}`);
  const pid = Number(text.slice(0, open).trim());
  const rest = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state): field n is rest[n - 3]
  const utimeTicks = Number(rest[14 - 3]);
  const stimeTicks = Number(rest[15 - 3]);
  if (!Number.isInteger(pid) || !Number.isFinite(utimeTicks) || !Number.isFinite(stimeTicks))
    throw new Error(`not a /proc/<pid>/stat line: ${text.slice(0, 60)}`);
  return { pid, comm: text.slice(open + 1, close), utimeTicks, stimeTicks };
}

export interface MachineTicks {
  /** user + nice + system + irq + softirq + steal, all cores */
  busy: number;
  /** busy + idle + iowait */
  total: number;
}

/** The aggregate `cpu` line of /proc/stat (proc(5)); guest time is already inside user and nice. */
export function parseMachineStat(text: string): MachineTicks {
  const line = text.split('\n').find((candidate) => candidate.startsWith('cpu '));
  if (!line) throw new Error('/proc/stat has no aggregate cpu line');
  const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

let ticksPerSecond: number | undefined;

/** `getconf CLK_TCK` (100 on Linux almost everywhere). */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    ticksPerSecond = Number.isInteger(value) && value > 0 ? value : 100;
  }
  return ticksPerSecond;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined; // gone
  }
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

/**
 * The database a PostgreSQL backend serves, from its process title ("postgres: [cluster: ]user database
 * host(port) state"); undefined for the server's own processes (postmaster, checkpointer, background
 * writer, walwriter, launchers), which work for every database.
 */
export function postgresDatabase(cmdline: string): string | undefined {
  return /^postgres: (?:[^:]+: )?\S+ (\S+) (?:\S+\(\d+\)|\[local\])/.exec(cmdline)?.[1];
}

/** Processes whose comm (and, when given, cmdline) match, by pid, with their ticks so far. */
export function processesNamed(
  match: (comm: string) => boolean,
  cmdline?: (cmdline: string) => boolean,
): Map<number, number> {
  const found = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat || !match(stat.comm)) continue;
    if (cmdline && !cmdline(readCmdline(stat.pid))) continue;
    found.set(stat.pid, stat.utimeTicks + stat.stimeTicks);
  }
  return found;
}

/** What is measured: a fixed pid, or every process whose name (and command line) match, per pid. */
export type CpuSubject =
  { pid: number } | { named: (comm: string) => boolean; cmdline?: (cmdline: string) => boolean };

export interface CpuReading {
  at: number;
  machine: MachineTicks;
  /** per subject: ticks by pid */
  subjects: Record<string, Map<number, number>>;
}

export function readCpu(subjects: Record<string, CpuSubject>): CpuReading {
  const reading: CpuReading = {
    at: Date.now(),
    machine: parseMachineStat(readFileSync('/proc/stat', 'utf8')),
    subjects: {},
  };
  for (const [name, subject] of Object.entries(subjects)) {
    if ('pid' in subject) {
      const stat = readStat(subject.pid);
      reading.subjects[name] = new Map(stat ? [[subject.pid, stat.utimeTicks + stat.stimeTicks]] : []);
    } else {
      reading.subjects[name] = processesNamed(subject.named, subject.cmdline);
    }
  }
  return reading;
}

export interface CpuSpent {
  seconds: number;
  /** ms of CPU over the span, all cores together (idle and iowait excluded) */
  machineMs: number;
  /** machine busy, % of all cores */
  machineBusyPercent: number;
  /** ms of CPU each subject used over the span */
  processMs: Record<string, number>;
}

/**
 * CPU used between two readings. A pid present only at the end started during the span and counts from
 * zero; one present only at the start ended during it, and what it used after the first reading is lost
 * (PostgreSQL backends of the gateway's pool live as long as the gateway does).
 */
export function cpuBetween(start: CpuReading, end: CpuReading, ticks = clockTicksPerSecond()): CpuSpent {
  const toMs = (value: number): number => (value * 1000) / ticks;
  const processMs: Record<string, number> = {};
  for (const [name, after] of Object.entries(end.subjects)) {
    const before = start.subjects[name] ?? new Map<number, number>();
    let sum = 0;
    for (const [pid, value] of after) sum += value - (before.get(pid) ?? 0);
    processMs[name] = toMs(sum);
  }
  const busy = end.machine.busy - start.machine.busy;
  const total = end.machine.total - start.machine.total;
  return {
    seconds: (end.at - start.at) / 1000,
    machineMs: toMs(busy),
    machineBusyPercent: total > 0 ? Math.round((busy / total) * 100) : 0,
    processMs,
  };
}

/** ms of CPU per push, to 0.01 ms (undefined when nothing was pushed). */
export function perPush(ms: number, pushes: number): number | undefined {
  return pushes > 0 ? Math.round((ms / pushes) * 100) / 100 : undefined;
}

/** a / b to 0.01 (undefined when either is missing or b is 0). */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || b === 0) return undefined;
  return Math.round((a / b) * 100) / 100;
}

/** The mean of the defined values (undefined when there are none). */
export function mean(values: ReadonlyArray<number | undefined>): number | undefined {
  const defined = values.filter((value): value is number => value !== undefined && Number.isFinite(value));
  return defined.length === 0 ? undefined : defined.reduce((sum, value) => sum + value, 0) / defined.length;
}
