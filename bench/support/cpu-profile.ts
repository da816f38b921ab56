/**
 * Where the gateway's CPU time goes: a V8 CPU profile (node:inspector Profiler, started after the warm-up
 * and stopped at the end of the load) summarised as self time per function and per module (a file of
 * src/ or codecs/ by directory, an npm package, a node: built-in, the garbage collector, idle).
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileEntry {
  name: string;
  selfMs: number;
  /** of the sampled time, idle included */
  percent: number;
  /** of the time the gateway was busy (idle excluded) */
  busyPercent: number;
}

export interface ProfileSummary {
  sampledMs: number;
  idlePercent: number;
  gcPercent: number;
  functions: ProfileEntry[];
  modules: ProfileEntry[];
  /**
   * self time charged to the nearest frame of src/, codecs/ or an npm package on the stack: node:
   * built-ins and native code (socket writes, say) count for whoever called them
   */
  components: ProfileEntry[];
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

/** The module a frame belongs to, e.g. `src/http`, `codecs/wbxml`, `pg`, `node:internal/streams`. */
export function moduleOf(frame: CallFrame, root: string): string {
  if (SPECIAL.has(frame.functionName) && frame.url === '') return frame.functionName;
  const url = frame.url;
  if (url === '') return '(native)';
  if (url.startsWith('wasm://')) return '(wasm: PGlite)';
  if (url.startsWith('node:')) {
    const parts = url.slice(5).split('/');
    return `node:${parts[0] === 'internal' ? parts.slice(0, 2).join('/') : parts[0]}`;
  }
  let path = url;
  try {
    if (url.startsWith('file:')) path = fileURLToPath(url);
  } catch {
    return url;
  }
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = path.slice(modules + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const local = relative(root, path);
  if (!local.startsWith('..')) {
    const parts = local.split('/');
    return parts.length > 2 ? `${parts[0]}/${parts[1]}` : local;
  }
  return path;
}

function functionLabel(frame: CallFrame, root: string): string {
  const name = frame.functionName || '(anonymous)';
  if (frame.url === '') return SPECIAL.has(name) ? name : `${name} (native)`;
  let where = frame.url;
  try {
    if (where.startsWith('file:')) where = fileURLToPath(where);
  } catch {
    // keep the URL
  }
  const modules = where.lastIndexOf('/node_modules/');
  if (modules >= 0) where = where.slice(modules + '/node_modules/'.length);
  else if (where.startsWith('/')) {
    const local = relative(root, where);
    if (!local.startsWith('..')) where = local;
  }
  // tsx-compiled sources report line 0 for everything: leave the line out then
  return frame.lineNumber > 0 ? `${name} ${where}:${frame.lineNumber + 1}` : `${name} ${where}`;
}

function isComponent(module: string): boolean {
  return !module.startsWith('(') && !module.startsWith('node:') && !module.startsWith('/');
}

export function summariseProfile(profile: CpuProfile, root: string, top = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const ownerCache = new Map<number, string>();
  const ownerOf = (id: number): string => {
    const cached = ownerCache.get(id);
    if (cached !== undefined) return cached;
    const frame = byId.get(id)!.callFrame;
    const module = moduleOf(frame, root);
    let owner: string;
    if (isComponent(module) || SPECIAL.has(frame.functionName)) owner = module;
    else {
      const parent = parentOf.get(id);
      owner =
        parent === undefined || byId.get(parent)!.callFrame.functionName === '(root)'
          ? module
          : ownerOf(parent);
    }
    ownerCache.set(id, owner);
    return owner;
  };
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time since the previous sample: charge it to the frame sampled now
    self.set(samples[i], (self.get(samples[i]) ?? 0) + Math.max(0, deltas[i] ?? 0) / 1000);
  }
  const functions = new Map<string, number>();
  const modules = new Map<string, number>();
  const components = new Map<string, number>();
  // the profiler's own work (Profiler.stop serialising the profile) is not the gateway's
  const profilerCache = new Map<number, boolean>();
  const underProfiler = (id: number): boolean => {
    const cached = profilerCache.get(id);
    if (cached !== undefined) return cached;
    const parent = parentOf.get(id);
    const result =
      byId.get(id)!.callFrame.url === 'node:inspector' || (parent !== undefined && underProfiler(parent));
    profilerCache.set(id, result);
    return result;
  };
  let total = 0;
  let idle = 0;
  let gc = 0;
  for (const [id, ms] of self) {
    const frame = byId.get(id)?.callFrame;
    if (!frame || underProfiler(id)) continue;
    total += ms;
    if (frame.functionName === '(idle)') idle += ms;
    if (frame.functionName === '(garbage collector)') gc += ms;
    const fn = functionLabel(frame, root);
    functions.set(fn, (functions.get(fn) ?? 0) + ms);
    const mod = moduleOf(frame, root);
    modules.set(mod, (modules.get(mod) ?? 0) + ms);
    const owner = ownerOf(id);
    components.set(owner, (components.get(owner) ?? 0) + ms);
  }
  const busy = total - idle;
  const entries = (map: Map<string, number>): ProfileEntry[] =>
    [...map]
      .filter(([name]) => name !== '(idle)' && !name.startsWith('(idle) '))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({
        name,
        selfMs: Math.round(ms),
        percent: Math.round((ms / total) * 1000) / 10,
        busyPercent: Math.round((ms / busy) * 1000) / 10,
      }));
  return {
    sampledMs: Math.round(total),
    idlePercent: Math.round((idle / total) * 1000) / 10,
    gcPercent: Math.round((gc / total) * 1000) / 10,
    functions: entries(functions),
    modules: entries(modules),
    components: entries(components),
  };
}

export function formatProfile(summary: ProfileSummary, title: string): string {
  const lines = [
    `${title}: ${(summary.sampledMs / 1000).toFixed(1)} s sampled, idle ${summary.idlePercent}%, GC ${summary.gcPercent}%` +
      ' (wall-clock samples: time the process waited for a core counts where it resumed, often a socket write)',
    '  self time by module (% of busy time):',
    ...summary.modules.map(
      (entry) =>
        `    ${entry.busyPercent.toFixed(1).padStart(5)}%  ${String(entry.selfMs).padStart(6)} ms  ${entry.name}`,
    ),
    '  self time by component, node: built-ins and native code charged to their caller (% of busy time):',
    ...summary.components.map(
      (entry) =>
        `    ${entry.busyPercent.toFixed(1).padStart(5)}%  ${String(entry.selfMs).padStart(6)} ms  ${entry.name}`,
    ),
    '  self time by function (% of busy time):',
    ...summary.functions.map(
      (entry) =>
        `    ${entry.busyPercent.toFixed(1).padStart(5)}%  ${String(entry.selfMs).padStart(6)} ms  ${entry.name}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
