import type { Registry } from 'prom-client';

/**
 * Snapshots of the gateway's own metrics, kept for the dashboard's "last minute" figures.
 *
 * Counters only ever grow, so the traffic in a window is the difference between a snapshot now
 * and one taken at the window's start, summed over whatever label sets match: a label set born
 * inside the window counts from zero. Histograms are cumulative per bucket, so the same
 * subtraction gives the window's buckets, and quantiles are read from those the way Prometheus'
 * `histogram_quantile` does (linear inside the bucket).
 */

export interface MetricPoint {
  labels: Readonly<Record<string, string | number>>;
  value: number;
}

export interface Sample {
  /** Epoch ms the snapshot was taken. */
  at: number;
  /** Values by series name (`_bucket`, `_sum`, `_count` series of histograms included). */
  series: ReadonlyMap<string, readonly MetricPoint[]>;
}

export type LabelFilter = Readonly<Record<string, string>>;

/** Reads the gateway's `interchange_*` series (process metrics left out) into a snapshot. */
export async function takeSample(registry: Registry, at = Date.now()): Promise<Sample> {
  const series = new Map<string, MetricPoint[]>();
  for (const metric of await registry.getMetricsAsJSON()) {
    if (!metric.name.startsWith('interchange_') || metric.name.startsWith('interchange_process_')) continue;
    // Histogram values name their series (`_bucket`, `_sum`, `_count`); the typings omit it.
    for (const point of metric.values as Array<(typeof metric.values)[number] & { metricName?: string }>) {
      const name = point.metricName ?? metric.name;
      const list = series.get(name) ?? [];
      list.push({ labels: point.labels as MetricPoint['labels'], value: point.value });
      series.set(name, list);
    }
  }
  return { at, series };
}

function matches(labels: MetricPoint['labels'], filter: LabelFilter): boolean {
  for (const [key, value] of Object.entries(filter)) if (String(labels[key]) !== value) return false;
  return true;
}

/** Sum of a series over the label sets matching `filter`. */
export function sum(sample: Sample | undefined, name: string, filter: LabelFilter = {}): number {
  let total = 0;
  for (const point of sample?.series.get(name) ?? []) if (matches(point.labels, filter)) total += point.value;
  return total;
}

/** Sums of a series grouped by one label, over the label sets matching `filter`. */
export function sumBy(sample: Sample | undefined, name: string, label: string, filter: LabelFilter = {}): Map<string, number> {
  const out = new Map<string, number>();
  for (const point of sample?.series.get(name) ?? []) {
    if (!matches(point.labels, filter)) continue;
    const key = String(point.labels[label] ?? '');
    out.set(key, (out.get(key) ?? 0) + point.value);
  }
  return out;
}

/** `now - then` per group; `then` undefined means since the process started. */
export function deltaBy(now: Sample, then: Sample | undefined, name: string, label: string, filter: LabelFilter = {}): Map<string, number> {
  const current = sumBy(now, name, label, filter);
  const before = sumBy(then, name, label, filter);
  for (const [key, value] of current) current.set(key, value - (before.get(key) ?? 0));
  return current;
}

/**
 * The q-quantile (0..1) in seconds of the observations a histogram took between `then` and `now`,
 * or null when it took none. An answer in the +Inf bucket reads as the largest finite bound.
 */
export function quantile(q: number, now: Sample, then: Sample | undefined, histogram: string, filter: LabelFilter): number | null {
  const series = `${histogram}_bucket`;
  const bounds = [...sumBy(now, series, 'le', filter).keys()].map((le) => (le === '+Inf' ? Infinity : Number(le))).sort((a, b) => a - b);
  const counts = bounds.map((le) => {
    const exact = { ...filter, le: le === Infinity ? '+Inf' : String(le) };
    return sum(now, series, exact) - sum(then, series, exact);
  });
  const total = counts.at(-1) ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  for (let i = 0; i < bounds.length; i++) {
    const count = counts[i] ?? 0;
    if (count < rank) continue;
    const upper = bounds[i] ?? 0;
    const lower = i === 0 ? 0 : (bounds[i - 1] ?? 0);
    if (upper === Infinity) return lower;
    const below = i === 0 ? 0 : (counts[i - 1] ?? 0);
    return count === below ? upper : lower + ((upper - lower) * (rank - below)) / (count - below);
  }
  return bounds.at(-2) ?? null;
}

/**
 * A short history of snapshots: at most one per `spacingMs`, and none older than needed to
 * answer "what happened in the last `keepMs`" (one snapshot at least that old is kept).
 */
export interface SampleRing {
  /** Adds the snapshot unless the newest kept one is younger than the spacing. */
  record(sample: Sample): void;
  /** The newest snapshot at least `ageMs` older than `now`, else the oldest kept, else undefined. */
  since(now: number, ageMs: number): Sample | undefined;
  readonly size: number;
}

export function createSampleRing(options: { spacingMs: number; keepMs: number }): SampleRing {
  const samples: Sample[] = [];
  return {
    record(sample) {
      const newest = samples.at(-1);
      if (newest && sample.at - newest.at < options.spacingMs) return;
      samples.push(sample);
      while (samples.length > 1 && (samples[1]?.at ?? Infinity) <= sample.at - options.keepMs) samples.shift();
    },
    since(now, ageMs) {
      let found = samples[0];
      for (const sample of samples) if (sample.at <= now - ageMs) found = sample;
      return found;
    },
    get size() {
      return samples.length;
    },
  };
}
