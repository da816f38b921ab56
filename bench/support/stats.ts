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
