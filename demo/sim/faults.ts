/** Fault injection set over `POST /__admin/faults`; each POST replaces the whole set (`{}` clears). */
export interface FaultSpec {
  /** Added to every matching call, fault answers included. */
  latencyMs?: number;
  /** Share of matching calls (0..1) answered 503 with the vendor's error body. */
  errorRate?: number;
  /** Every matching call answers 503. */
  outage?: boolean;
  /** The next `count` matching calls answer the vendor's 429 with Retry-After. */
  rateLimitBurst?: { count: number; retryAfterSeconds: number };
  /** The next matching calls answer these statuses in order; a status below 400 passes through. */
  statusSequence?: number[];
  /** The next N matching WRITE calls commit, then the socket is destroyed without an answer. */
  loseResponses?: number;
  /** Substrings of the route (`POST /crm/v3/objects/contacts`); faults touch only matching routes. */
  routes?: string[];
}

export interface FaultDecision {
  latencyMs: number;
  /** Answer this status instead of running the handler. */
  status?: number;
  retryAfterSeconds?: number;
}

const NONE: FaultDecision = { latencyMs: 0 };

export class Faults {
  private spec: FaultSpec = {};

  constructor(private readonly random: () => number) {}

  set(spec: FaultSpec): void {
    this.spec = structuredClone(spec);
  }

  snapshot(): FaultSpec {
    return structuredClone(this.spec);
  }

  /** Consumes counters (burst, sequence) only for calls the route filter matches. */
  decide(route: string): FaultDecision {
    const s = this.spec;
    if (!this.matches(route)) return NONE;
    const decision: FaultDecision = { latencyMs: s.latencyMs ?? 0 };
    if (s.outage) {
      decision.status = 503;
    } else if (s.statusSequence && s.statusSequence.length > 0) {
      const status = s.statusSequence.shift()!;
      if (status >= 400) decision.status = status;
      if (status === 429) decision.retryAfterSeconds = 1;
    } else if (s.rateLimitBurst && s.rateLimitBurst.count > 0) {
      s.rateLimitBurst.count -= 1;
      decision.status = 429;
      decision.retryAfterSeconds = s.rateLimitBurst.retryAfterSeconds;
    } else if (s.errorRate && this.random() < s.errorRate) {
      decision.status = 503;
    }
    return decision;
  }

  /** Whether to drop the answer of a write that is about to run (and commit); consumes one. */
  takeLoss(route: string): boolean {
    const s = this.spec;
    if (!this.matches(route) || !s.loseResponses) return false;
    s.loseResponses -= 1;
    return true;
  }

  private matches(route: string): boolean {
    return !this.spec.routes || this.spec.routes.some((r) => route.includes(r));
  }
}

/** Validates an admin body; returns the spec or a message saying what was expected. */
export function parseFaults(input: unknown): FaultSpec | string {
  if (!isObject(input)) return `expected a JSON object of faults, got ${describe(input)}`;
  const known = ['latencyMs', 'errorRate', 'outage', 'rateLimitBurst', 'statusSequence', 'loseResponses', 'routes'];
  const unknown = Object.keys(input).filter((k) => !known.includes(k));
  if (unknown.length > 0) return `unknown fault ${unknown.join(', ')}; expected one of ${known.join(', ')}`;
  const spec: FaultSpec = {};
  const { latencyMs, errorRate, outage, rateLimitBurst, statusSequence, loseResponses, routes } = input;
  if (latencyMs !== undefined) {
    if (!isCount(latencyMs)) return `expected latencyMs to be a non-negative integer, got ${describe(latencyMs)}`;
    spec.latencyMs = latencyMs;
  }
  if (errorRate !== undefined) {
    if (typeof errorRate !== 'number' || errorRate < 0 || errorRate > 1) {
      return `expected errorRate to be a number in 0..1, got ${describe(errorRate)}`;
    }
    spec.errorRate = errorRate;
  }
  if (outage !== undefined) {
    if (typeof outage !== 'boolean') return `expected outage to be a boolean, got ${describe(outage)}`;
    spec.outage = outage;
  }
  if (rateLimitBurst !== undefined) {
    if (!isObject(rateLimitBurst) || !isCount(rateLimitBurst.count) || !isCount(rateLimitBurst.retryAfterSeconds)) {
      return `expected rateLimitBurst to be { count, retryAfterSeconds } of non-negative integers, got ${describe(rateLimitBurst)}`;
    }
    spec.rateLimitBurst = { count: rateLimitBurst.count, retryAfterSeconds: rateLimitBurst.retryAfterSeconds };
  }
  if (statusSequence !== undefined) {
    if (!Array.isArray(statusSequence) || !statusSequence.every((s) => Number.isInteger(s) && s >= 100 && s <= 599)) {
      return `expected statusSequence to be an array of HTTP statuses, got ${describe(statusSequence)}`;
    }
    spec.statusSequence = [...(statusSequence as number[])];
  }
  if (loseResponses !== undefined) {
    if (!isCount(loseResponses)) return `expected loseResponses to be a non-negative integer, got ${describe(loseResponses)}`;
    spec.loseResponses = loseResponses;
  }
  if (routes !== undefined) {
    if (!Array.isArray(routes) || !routes.every((r) => typeof r === 'string')) {
      return `expected routes to be an array of strings, got ${describe(routes)}`;
    }
    spec.routes = [...(routes as string[])];
  }
  return spec;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

export function describe(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}
