import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/**
 * Where the time went, from a V8 `.cpuprofile` (`node --cpu-prof`): self time per function and
 * per area (a package under node_modules, a file of the project, Node's internals, GC, idle).
 * Self time is summed from the sample deltas, not hit counts, so it is in real milliseconds.
 *
 *   tsx bench/cpuprofile-summary.ts <file.cpuprofile> [top]
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface Entry {
  name: string;
  selfMs: number;
  /** Share of the busy time (idle left out). */
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  busyMs: number;
  functions: Entry[];
  areas: Entry[];
  /** Time with the area anywhere on the stack (an area's own code and everything it called). */
  inclusiveAreas: Entry[];
}

const ROOT = pathToFileURL(process.cwd()).href;

/** `graphql`, `src/connectors/runtime.ts`, `node:internal`, `(garbage collector)`… */
export function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return url.startsWith('node:internal/deps/undici') ? 'node:undici (bundled)' : url.split('/').slice(0, 2).join('/');
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  return url.startsWith(ROOT) ? url.slice(ROOT.length + 1) : url;
}

function location(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = areaOf(url, functionName);
  // Lines of TypeScript run through tsx are positions in the transpiled code: the file says enough.
  const line = url.endsWith('.ts') ? '' : `:${lineNumber + 1}`;
  return `${functionName || '(anonymous)'} ${url ? `${where}${line}` : ''}`.trim();
}

/** Only samples taken between `lastMs + skipTailMs` and `skipTailMs` before the profile ended. */
export interface Window {
  lastMs: number;
  skipTailMs: number;
}

export function summarise(profile: CpuProfile, top = 25, window?: Window): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const to = profile.endTime - (window?.skipTailMs ?? 0) * 1000;
  const from = window ? to - window.lastMs * 1000 : Number.NEGATIVE_INFINITY;
  let at = profile.startTime;
  // timeDeltas[i] is the time before sample i; charge it to the sample's node.
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at >= from && at <= to) selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  });
  const fns = new Map<string, number>();
  const areas = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    total += us;
    if (node.callFrame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    const fn = location(node);
    fns.set(fn, (fns.get(fn) ?? 0) + us);
    const area = areaOf(node.callFrame.url, node.callFrame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
  }
  const busy = total - idle;
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    if (byId.get(id)!.callFrame.functionName === '(idle)') continue;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      if (frame.functionName === '(root)') break;
      seen.add(areaOf(frame.url, frame.functionName));
    }
    for (const area of seen) inclusive.set(area, (inclusive.get(area) ?? 0) + us);
  }
  const ranked = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: us / 1000, share: busy > 0 ? us / busy : 0 }));
  return { totalMs: total / 1000, busyMs: busy / 1000, functions: ranked(fns), areas: ranked(areas), inclusiveAreas: ranked(inclusive) };
}

export function renderSummary(s: ProfileSummary): string {
  const table = (title: string, entries: Entry[]) => [
    `| ${title} | ms | share of busy |`,
    '|---|--:|--:|',
    ...entries.map((e) => `| \`${e.name.replace(/\|/g, '\\|')}\` | ${e.selfMs.toFixed(0)} | ${(100 * e.share).toFixed(1)} % |`),
  ];
  return [
    `Profiled ${(s.totalMs / 1000).toFixed(1)} s, busy ${(s.busyMs / 1000).toFixed(1)} s (${((100 * s.busyMs) / s.totalMs).toFixed(0)} %).`,
    '',
    ...table('area (package or file), self', s.areas),
    '',
    ...table('area, inclusive (on the stack)', s.inclusiveAreas),
    '',
    ...table('function (self time)', s.functions),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: tsx bench/cpuprofile-summary.ts <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  process.stdout.write(`${renderSummary(summarise(profile, Number(process.argv[3] ?? 25)))}\n`);
}
