/** Percentiles and the machine a benchmark ran on (printed beside every figure). */
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

export interface Percentiles {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

/** Nearest-rank percentiles of millisecond samples, rounded to 0.1 ms. */
export function percentiles(samples: readonly number[]): Percentiles {
  const sorted = Float64Array.from(samples).sort();
  const at = (p: number): number =>
    sorted.length === 0
      ? NaN
      : Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] * 10) / 10;
  return { count: sorted.length, p50Ms: at(50), p95Ms: at(95), p99Ms: at(99) };
}

export function formatPercentiles(p: Percentiles): string {
  return p.count === 0 ? 'no samples' : `p50 ${p.p50Ms} ms  p95 ${p.p95Ms} ms  p99 ${p.p99Ms} ms`;
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  /** 1-, 5- and 15-minute load averages when the benchmark started: other work on the machine */
  loadAverage: number[];
}

export function machineInfo(): MachineInfo {
  const cpuList = cpus();
  return {
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
  };
}

/** `abc1234` or `abc1234-dirty` (tracked files changed), or 'unknown' outside a git checkout. */
export function gitCommit(cwd: string): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd,
      encoding: 'utf8',
    });
    return { commit, dirty: status.trim() !== '' };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---- CPU: who used the machine's cores during a measured window ---------------------------------------

export interface CpuSnapshot {
  at: number;
  /** busy and total time of all cores, ms (os.cpus()) */
  machineBusyMs: number;
  machineTotalMs: number;
  /** process.cpuUsage() of each process that reports, µs */
  processes: Record<string, { user: number; system: number }>;
}

export function machineCpu(): { busyMs: number; totalMs: number } {
  let busy = 0;
  let total = 0;
  for (const cpu of cpus()) {
    const { user, nice, sys, idle, irq } = cpu.times;
    busy += user + nice + sys + irq;
    total += user + nice + sys + idle + irq;
  }
  return { busyMs: busy, totalMs: total };
}

export function ownCpuMicros(): { user: number; system: number } {
  const { user, system } = process.cpuUsage();
  return { user, system };
}

export interface CpuShares {
  /** of all cores together: 100 = every core busy */
  machineBusyPercent: number;
  /** each process in % of one core (200 = two cores' worth), user + system */
  processPercentOfCore: Record<string, number>;
  /** of which in the kernel (system calls: socket reads and writes, mostly) */
  processSystemPercentOfCore: Record<string, number>;
  /** what the machine did besides them (PostgreSQL, Redis, other work), % of one core */
  otherPercentOfCore: number;
}

export function cpuShares(start: CpuSnapshot, end: CpuSnapshot): CpuShares {
  const wallMs = end.at - start.at;
  const machineBusy = end.machineBusyMs - start.machineBusyMs;
  const machineTotal = end.machineTotalMs - start.machineTotalMs;
  const cores = machineTotal / wallMs;
  const processPercentOfCore: Record<string, number> = {};
  const processSystemPercentOfCore: Record<string, number> = {};
  let sum = 0;
  for (const [name, usage] of Object.entries(end.processes)) {
    const before = start.processes[name] ?? { user: 0, system: 0 };
    const system = (usage.system - before.system) / 1000 / wallMs;
    const used = (usage.user - before.user) / 1000 / wallMs + system;
    processPercentOfCore[name] = Math.round(used * 100);
    processSystemPercentOfCore[name] = Math.round(system * 100);
    sum += used;
  }
  const busyCores = (machineBusy / Math.max(machineTotal, 1)) * cores;
  return {
    machineBusyPercent: Math.round((machineBusy / Math.max(machineTotal, 1)) * 100),
    processPercentOfCore,
    processSystemPercentOfCore,
    otherPercentOfCore: Math.max(0, Math.round((busyCores - sum) * 100)),
  };
}

export function formatCpuShares(shares: CpuShares): string {
  const parts = Object.entries(shares.processPercentOfCore).map(
    ([name, percent]) => `${name} ${percent}% (kernel ${shares.processSystemPercentOfCore[name]}%)`,
  );
  return (
    `machine ${shares.machineBusyPercent}% busy; % of one core: ${parts.join(', ')}, ` +
    `everything else (PostgreSQL, Redis, other work) ${shares.otherPercentOfCore}%`
  );
}
