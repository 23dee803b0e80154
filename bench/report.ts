import { cpus, loadavg, release, totalmem } from 'node:os';
import type { Row, Spread } from './measure.ts';
import type { QuotaCheck } from './rate-limited.ts';

/**
 * The Markdown report: the machine and the command, every measured row, the gateway as ratios
 * to the baselines, and the issue's targets checked one by one.
 */

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  kernel: string;
  node: string;
  /** 1-minute load average when the run started and ended: others' work on the same cores. */
  load: number[];
}

export function machine(startLoad?: number): Machine {
  const load = [...(startLoad === undefined ? [] : [startLoad]), loadavg()[0]!].map((l) => Math.round(l * 10) / 10);
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30), kernel: release(), node: process.version, load };
}

export interface Check {
  target: string;
  measured: string;
  pass: boolean | undefined;
}

export interface Report {
  date: string;
  command: string;
  mode: string;
  machine: Machine;
  rows: Row[];
  checks: Check[];
  notes: string[];
  todo: string[];
  quota?: QuotaCheck;
  extra?: Record<string, unknown>;
}

const num = (v: number, unit = ''): string => {
  if (!Number.isFinite(v)) return '–';
  const abs = Math.abs(v);
  const text = abs >= 100 ? v.toFixed(0) : abs >= 10 ? v.toFixed(1) : abs >= 0.1 || abs === 0 ? v.toFixed(2) : v.toFixed(4);
  return `${text}${unit}`;
};
const spreadText = (s: Spread | undefined): string => (!s ? '–' : s.min === s.max ? num(s.median) : `${num(s.median)} (${num(s.min)}–${num(s.max)})`);
const cell = (text: string) => text.replace(/\|/g, '\\|');

function rowLine(r: Row): string {
  const calls = r.calls ? `${num(r.calls.median)} / ${r.minimumCalls ?? '?'}` : '–';
  const by = r.callsBy && r.system === 'gateway' && Object.keys(r.callsBy).length > 1 ? Object.entries(r.callsBy).map(([n, c]) => `${n} ${num(c)}`).join(', ') : '';
  const size = (r.bytesPerResponse ?? 0) >= 100_000 ? `${(r.bytesPerResponse! / 1e6).toFixed(2)} MB per answer` : '';
  const notes = [r.note, size, by && `calls: ${by}`, r.failures ? `**${r.failures} failed**${r.failureKinds && Object.keys(r.failureKinds).length ? ` (${Object.entries(r.failureKinds).map(([k, n]) => `${k}: ${n}`).join(', ')})` : ''}` : ''].filter(Boolean).join('; ');
  return `| ${cell(r.scenario)} | ${cell(r.system)} | ${r.latencyMs} | ${r.load} | ${spreadText(r.rps)} | ${spreadText(r.p50)} | ${spreadText(r.p99)} | ${calls} | ${spreadText(r.cpuMsPerOp)} | ${r.peakRssMb === undefined ? '–' : num(r.peakRssMb)} | ${cell(notes)} |`;
}

const find = (rows: Row[], scenario: string, system: string, latencyMs: number) => rows.find((r) => r.scenario.startsWith(scenario) && r.system === system && r.latencyMs === latencyMs);

/** Gateway ÷ B1 and gateway ÷ B0 (the slowest of the upstream calls measured alone). */
function ratioLines(rows: Row[]): string[] {
  const lines: string[] = [];
  const latencies = [...new Set(rows.map((r) => r.latencyMs))];
  for (const scenario of ['2.', '3.']) {
    for (const latency of latencies) {
      const gw = find(rows, scenario, 'gateway', latency);
      const b1 = find(rows, scenario, 'B1', latency);
      if (!gw || !b1) continue;
      const b0 = rows.filter((r) => r.scenario.startsWith(scenario) && r.latencyMs === latency && r.system.startsWith('B0'));
      const ceiling = Math.min(...b0.map((r) => r.rps.median));
      lines.push(
        `| ${cell(gw.scenario)} | ${latency} | ${num(gw.rps.median)} | ${num(b1.rps.median)} | **${num(gw.rps.median / b1.rps.median)}** | ${num(ceiling)} | ${num(gw.rps.median / ceiling)} | ${num(gw.p50.median - b1.p50.median)} | ${num(gw.cpuMsPerOp?.median ?? NaN)} | ${num(b1.cpuMsPerOp?.median ?? NaN)} | ${num((gw.cpuMsPerOp?.median ?? NaN) / (b1.cpuMsPerOp?.median ?? NaN))} |`,
      );
    }
  }
  return lines;
}

export function checks(rows: Row[], quota: QuotaCheck | undefined, soak: Check | undefined): Check[] {
  const out: Check[] = [];
  for (const r of rows.filter((r) => r.system.startsWith('gateway') && r.calls && r.minimumCalls !== undefined)) {
    const m = r.calls!.median;
    const pass = r.minimumCalls === 0 ? m <= 0.01 : Math.abs(m / r.minimumCalls! - 1) <= 0.01;
    out.push({ target: `upstream calls/op = minimum: ${r.scenario}, ${r.system}, ${r.latencyMs} ms`, measured: `${num(m)} / ${r.minimumCalls} (ratio ${r.minimumCalls ? num(m / r.minimumCalls) : 'n/a'})`, pass });
  }
  for (const latency of [...new Set(rows.map((r) => r.latencyMs))]) {
    const gw = find(rows, '3.', 'gateway', latency);
    const b1 = find(rows, '3.', 'B1', latency);
    if (gw && b1) out.push({ target: `3. req/s ≥ 0.5 × B1 (${latency} ms)`, measured: `${num(gw.rps.median)} vs ${num(b1.rps.median)} = ${num(gw.rps.median / b1.rps.median)} × B1`, pass: gw.rps.median >= 0.5 * b1.rps.median });
    const gwHalf = find(rows, '3.', 'gateway @ ½ peak', latency);
    const b1Half = find(rows, '3.', 'B1 @ ½ gateway peak', latency);
    const control = find(rows, '3.', 'B1 + gateway CPU @ ½ gateway peak', latency);
    if (gwHalf && b1Half) {
      const gap = gwHalf.p99.median - b1Half.p99.median;
      const withCpu = control ? `; B1 spending the gateway's CPU per operation: ${num(control.p99.median)} ms` : '';
      out.push({ target: `3. p99 at ½ gateway peak within 5 ms of B1 (${latency} ms)`, measured: `${num(gwHalf.p99.median)} vs ${num(b1Half.p99.median)} ms at ${gwHalf.load}: ${gap < 0 ? '−' : '+'}${num(Math.abs(gap))} ms${withCpu}`, pass: gap <= 5 });
    }
    const warm = rows.find((r) => r.scenario.startsWith('4.') && r.system === 'gateway');
    const b1flat = find(rows, '2.', 'B1', latency);
    if (warm && b1flat) out.push({ target: `4. warm req/s ≥ 0.8 × B1 of scenario 2 (${latency} ms)`, measured: `${num(warm.rps.median)} vs ${num(b1flat.rps.median)} = ${num(warm.rps.median / b1flat.rps.median)} × B1`, pass: warm.rps.median >= 0.8 * b1flat.rps.median });
  }
  const gatewayRss = rows.filter((r) => r.system.startsWith('gateway') && r.peakRssMb !== undefined).sort((a, b) => b.peakRssMb! - a.peakRssMb!);
  const [worst, next] = [gatewayRss[0], gatewayRss.find((r) => r.scenario !== gatewayRss[0]?.scenario)];
  if (worst) {
    const measured = `${num(worst.peakRssMb!)} MB in ${worst.scenario}${next ? `; ${num(next.peakRssMb!)} MB at most elsewhere (${next.scenario})` : ''}`;
    out.push({ target: 'peak RSS under load < 300 MB', measured, pass: worst.peakRssMb! < 300 });
  }
  if (quota) out.push({ target: `quota holds (${quota.quota}/s in every 1 s window of the backend's log)`, measured: `max ${quota.maxInWindow} in 1 s over ${quota.calls} calls`, pass: quota.holds });
  out.push(soak ?? { target: 'no RSS growth over a 5-minute soak', measured: 'not run here: `npm run bench -- --soak`', pass: undefined });
  return out;
}

export function render(report: Report): string {
  const m = report.machine;
  const verdict = (c: Check) => (c.pass === undefined ? '—' : c.pass ? 'pass' : '**FAIL**');
  const ratios = ratioLines(report.rows);
  return [
    '# Interchange benchmark',
    '',
    `${report.date} · \`${report.command}\` · ${report.mode}`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, Linux ${m.kernel}, Node ${m.node}. Gateway, B1, simulators and load generator share these cores; 1-minute load average ${m.load[0]} before the benchmark started its processes (they add 2–3 while running)${m.load[0]! > m.cores / 2 ? ' — **other work was running on this machine: absolute numbers are depressed, ratios less so**' : ''}.`,
    '',
    '## Results',
    '',
    'Medians over runs, (min–max) where runs differ. Latency in ms. `calls/op` = upstream calls the simulators counted ÷ requests sent (token requests excluded) / the minimum plan. CPU = the measured process (gateway, B1, or the simulators for B0) per request.',
    '',
    '| scenario | system | sim ms | load | req/s | p50 | p99 | calls/op / min | CPU ms/op | peak RSS MB | notes |',
    '|---|---|--:|---|--:|--:|--:|--:|--:|--:|---|',
    ...report.rows.map(rowLine),
    '',
    ...(ratios.length
      ? [
          '## Gateway against the baselines',
          '',
          'B1 = the hand-written aggregator (same upstream calls, same JSON); B0 ceiling = the slowest single upstream call, driven alone at the simulator.',
          '',
          '| scenario | sim ms | gateway req/s | B1 req/s | gateway ÷ B1 | B0 ceiling req/s | gateway ÷ B0 | p50 above B1 (ms) | gateway CPU ms/op | B1 CPU ms/op | CPU × B1 |',
          '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
          ...ratios,
          '',
        ]
      : []),
    '## Targets (issue 7)',
    '',
    '| target | measured | verdict |',
    '|---|---|---|',
    ...report.checks.map((c) => `| ${cell(c.target)} | ${cell(c.measured)} | ${verdict(c)} |`),
    '',
    ...(report.notes.length ? ['## How it was measured', '', ...report.notes.map((n) => `- ${n}`), ''] : []),
    ...(report.todo.length ? ['## Not measured (TODO)', '', ...report.todo.map((t) => `- TODO: ${t}`), ''] : []),
  ].join('\n');
}
