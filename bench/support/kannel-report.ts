/**
 * bench:vs-kannel's figures: per run, the means per system and connection count with the ratio
 * otagw/Kannel, as text and as the `bench:vs-kannel` section of docs/benchmarks.md (between markers, so
 * `npm run bench`, which writes the rest of that file, keeps it: keptVsKannelSection).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './gateway-process.ts';
import { mean, ratio } from './kannel-cpu.ts';
import type { PushCheck } from './kannel-push.ts';
import type { MachineInfo, Percentiles } from './stats.ts';

export interface RunResult {
  system: 'kannel' | 'otagw';
  connections: number;
  round: number;
  loopSeconds: number;
  requests: number;
  accepted: number;
  acceptedPerSecond: number;
  /** pushes (destinations) the SMSC read */
  submittedPushes: number;
  /** first submit_sm .. last submit_sm at the SMSC */
  submitSeconds: number;
  submittedPerSecond?: number;
  submitSmPerPush?: number;
  latency: Percentiles;
  statuses: Record<string, number>;
  delivered: number;
  deliveredNote: string;
  notFinal?: number;
  finalStates?: Record<string, number>;
  /** the span CPU was read over */
  cpuSeconds: number;
  machineBusyPercent: number;
  machineMsPerPush?: number;
  processMsPerPush: Record<string, number | undefined>;
  /** the listed processes together (the machine's figure also holds whatever else ran) */
  listedMsPerPush?: number;
  /** otagw: CPU of the loop, of the wait for the debounce window (first-use), of the pushes, in ms */
  phases?: CpuPhase[];
}

export interface CpuPhase {
  name: string;
  seconds: number;
  machineMs: number;
  listedMs: number;
  processMs: Record<string, number>;
}

export interface SystemMeans {
  acceptedPerSecond?: number;
  submittedPerSecond?: number;
  machineMsPerPush?: number;
  listedMsPerPush?: number;
}

export interface SummaryRow {
  connections: number;
  kannel?: SystemMeans;
  otagw?: SystemMeans;
  /** otagw / Kannel */
  ratio: { accepted?: number; submitted?: number; machineMsPerPush?: number; listedMsPerPush?: number };
}

export interface BenchReport {
  date: string;
  minutes: number;
  /** `abc1234` or `abc1234 (working tree had uncommitted changes)`: the gateway runs the tree as it is */
  commit: string;
  machine: MachineInfo;
  kannelVersion: string | null;
  kannelUsed: boolean;
  settings: Record<string, unknown>;
  checks: Record<string, PushCheck | undefined>;
  runs: RunResult[];
  summary: SummaryRow[];
}

/** Means over the rounds per system and connection count, and otagw / Kannel of each. */
export function summarise(runs: readonly RunResult[], connections: readonly number[]): SummaryRow[] {
  return connections.map((count) => {
    const of = (system: RunResult['system']): SummaryRow['kannel'] => {
      const own = runs.filter((run) => run.system === system && run.connections === count);
      if (own.length === 0) return undefined;
      return {
        acceptedPerSecond: mean(own.map((run) => run.acceptedPerSecond)),
        submittedPerSecond: mean(own.map((run) => run.submittedPerSecond)),
        machineMsPerPush: mean(own.map((run) => run.machineMsPerPush)),
        listedMsPerPush: mean(own.map((run) => run.listedMsPerPush)),
      };
    };
    const kannel = of('kannel');
    const otagw = of('otagw');
    return {
      connections: count,
      kannel,
      otagw,
      ratio: {
        accepted: ratio(otagw?.acceptedPerSecond, kannel?.acceptedPerSecond),
        submitted: ratio(otagw?.submittedPerSecond, kannel?.submittedPerSecond),
        machineMsPerPush: ratio(otagw?.machineMsPerPush, kannel?.machineMsPerPush),
        listedMsPerPush: ratio(otagw?.listedMsPerPush, kannel?.listedMsPerPush),
      },
    };
  });
}

const n = (value: number | undefined, digits = 0): string =>
  value === undefined || !Number.isFinite(value)
    ? '–'
    : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function runLine(run: RunResult): string {
  const name = run.system === 'kannel' ? 'Kannel' : 'otagw';
  const cpu = Object.entries(run.processMsPerPush)
    .map(([process, ms]) => `${process} ${n(ms, 3)}`)
    .join(', ');
  const statuses = Object.entries(run.statuses)
    .map(([status, count]) => `${status}: ${count}`)
    .join(', ');
  return [
    `${name}, ${run.connections} connections, round ${run.round}: ${n(run.loopSeconds, 1)} s loop, ${run.requests} requests (HTTP ${statuses})`,
    `  pushes/s accepted ${n(run.acceptedPerSecond)}, submitted ${n(run.submittedPerSecond)} (${run.submittedPushes} pushes at the SMSC over ${n(run.submitSeconds, 1)} s); HTTP p50 ${run.latency.p50Ms} ms, p99 ${run.latency.p99Ms} ms`,
    `  submit_sm per push ${n(run.submitSmPerPush, 2)}; delivered ${run.delivered} (${run.deliveredNote})${run.notFinal ? `; ${run.notFinal} not final` : ''}${run.finalStates ? `; final states ${JSON.stringify(run.finalStates)}` : ''}`,
    `  CPU per push, ms: machine ${n(run.machineMsPerPush, 3)} (busy ${run.machineBusyPercent}% of all cores over ${n(run.cpuSeconds, 1)} s); listed processes ${n(run.listedMsPerPush, 3)}: ${cpu}`,
    ...(run.phases && run.submittedPushes > 0
      ? [
          `  CPU per push without the debounce wait (accept + push phases), ms: listed processes ${n(
            run.phases
              .filter((phase) => !phase.name.startsWith('wait'))
              .reduce((sum, phase) => sum + phase.listedMs, 0) / run.submittedPushes,
            3,
          )}`,
        ]
      : []),
    ...(run.phases ?? []).map(
      (phase) =>
        `  CPU in ${phase.name}, ${n(phase.seconds, 1)} s, ms (not per push): machine ${n(phase.machineMs)}, listed ${n(phase.listedMs)}: ` +
        Object.entries(phase.processMs)
          .map(([process, ms]) => `${process} ${n(ms)}`)
          .join(', '),
    ),
  ].join('\n');
}

function checkLine(system: string, check: PushCheck | undefined): string {
  if (!check) return `- ${system}: no push checked`;
  return (
    `- ${system}: ${check.ok ? 'well formed' : `NOT well formed (${check.problems.join('; ')})`}: ports ${check.ports}, ` +
    `${check.contentType}, SEC ${check.sec}, MAC keyed with ${check.macKey}, WBXML ${check.wbxmlOctets} octets, ` +
    `parameters (${check.decoder}): ${check.parameters?.join(', ')}`
  );
}

function sameDocument(checks: BenchReport['checks']): string | undefined {
  const { kannel, otagw } = checks;
  if (!kannel?.wbxmlHex || !otagw?.wbxmlHex) return undefined;
  if (kannel.wbxmlHex === otagw.wbxmlHex) return 'the WBXML bodies are byte for byte the same';
  return JSON.stringify(kannel.parameters) === JSON.stringify(otagw.parameters)
    ? 'the WBXML bodies differ in bytes but decode to the same parameters'
    : 'THE DOCUMENTS DIFFER';
}

function summaryTable(report: BenchReport): string {
  const rows = report.summary.map(
    (row) =>
      `| ${row.connections} | ${n(row.kannel?.acceptedPerSecond)} / ${n(row.kannel?.submittedPerSecond)} | ${n(row.kannel?.machineMsPerPush, 2)} / ${n(row.kannel?.listedMsPerPush, 2)} | ` +
      `${n(row.otagw?.acceptedPerSecond)} / ${n(row.otagw?.submittedPerSecond)} | ${n(row.otagw?.machineMsPerPush, 2)} / ${n(row.otagw?.listedMsPerPush, 2)} | ` +
      `${n(row.ratio.accepted, 2)} / ${n(row.ratio.submitted, 2)} | ${n(row.ratio.machineMsPerPush, 2)} / ${n(row.ratio.listedMsPerPush, 2)} |`,
  );
  return [
    '| connections | Kannel pushes/s accepted / submitted | Kannel CPU ms/push machine / listed processes | otagw pushes/s accepted / submitted | otagw CPU ms/push machine / listed processes | otagw/Kannel pushes/s (accepted / submitted) | otagw/Kannel CPU per push (machine / listed) |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

function header(report: BenchReport): string[] {
  const m = report.machine;
  return [
    `date ${report.date} (took ${report.minutes} min), commit ${report.commit}`,
    `machine: ${m.cores} cores, ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.platform}; load average at the start ${m.loadAverage.join(' / ')}; node ${m.node}`,
    `kannel: ${report.kannelVersion ? `${report.kannelVersion}${report.kannelUsed ? '' : ' (not run: --no-kannel)'}` : 'not installed (apt-get install kannel): otagw alone'}`,
    ...Object.entries(report.settings).map(([key, value]) => `${key}: ${String(value)}`),
  ];
}

function text(report: BenchReport): string {
  const same = sameDocument(report.checks);
  return [
    '',
    ...header(report),
    '',
    'pushes checked at the SMSC:',
    checkLine('Kannel', report.checks.kannel),
    checkLine('otagw', report.checks.otagw),
    ...(same ? [`- ${same}`] : []),
    '',
    ...report.runs.map(runLine),
    '',
    'means over the rounds:',
    summaryTable(report),
    '',
  ].join('\n');
}

export const renderReport = { text, runLine };

export const SECTION_START = '<!-- bench:vs-kannel start -->';
export const SECTION_END = '<!-- bench:vs-kannel end -->';

export function docsSection(report: BenchReport): string {
  const same = sameDocument(report.checks);
  const runs = report.runs.map((run) => '```\n' + runLine(run) + '\n```').join('\n\n');
  const command = `npm run bench:vs-kannel -- ${process.argv.slice(2).join(' ')}`;
  const smoke = report.settings.quick ? ' **Smoke run (--quick): not a measurement.**' : '';
  return [
    SECTION_START,
    '## vs-kannel',
    '',
    `Generated by \`${command}\` (bench/vs-kannel.ts); do not edit by hand.${smoke}`,
    '',
    ...header(report).map((line) => `- ${line}`),
    '',
    summaryTable(report),
    '',
    'Pushes checked at the SMSC:',
    '',
    checkLine('Kannel', report.checks.kannel),
    checkLine('otagw', report.checks.otagw),
    ...(same ? [`- ${same}`] : []),
    '',
    'Each run:',
    '',
    runs,
    SECTION_END,
  ].join('\n');
}

/** Replaces the section in `document` (or appends it). */
export function withSection(document: string, section: string): string {
  const start = document.indexOf(SECTION_START);
  const end = document.indexOf(SECTION_END);
  if (start >= 0 && end > start) {
    return document.slice(0, start) + section + document.slice(end + SECTION_END.length);
  }
  return `${document.replace(/\n*$/, '')}\n\n${section}\n`;
}

/** The section a document holds, for `npm run bench` to keep when it writes the file again. */
export function keptVsKannelSection(document: string): string | undefined {
  const start = document.indexOf(SECTION_START);
  const end = document.indexOf(SECTION_END);
  return start >= 0 && end > start ? document.slice(start, end + SECTION_END.length) : undefined;
}

/** Writes the section into `file` (default docs/benchmarks.md); returns the file written. */
export function writeDocsSection(report: BenchReport, file = join(ROOT, 'docs', 'benchmarks.md')): string {
  const document = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  writeFileSync(file, withSection(document, docsSection(report)));
  return file;
}
