import type { Redis } from 'ioredis';

/**
 * The last fence before a call leaves: it holds calls while the backend asked for a pause (a
 * 429's Retry-After, the connector's rate-limit header reader), and keeps at least `spacingMs`
 * between two calls actually leaving. Bottleneck already spaces the slots it hands out, but it
 * times them from when they were granted: after an event-loop stall, or a slow Redis answer,
 * several overdue slots fire at once. The gate times the departures themselves.
 *
 * Guarantees: a pause is only ever extended, never shortened; once `claim()` resolves `go`, no
 * other call of the connector (any instance, with Redis) is let go within `spacingMs`.
 */
export type Claim = { go: true } | { go: false; pausedMs: number } | { go: false; spacingMs: number };

export interface DispatchGate {
  /** Takes the right to send now, or says how long to wait and why. */
  claim(): Promise<Claim>;
  /** The pause this instance already knows of, without I/O: for waiting, never for sending. */
  knownPauseMs(): number;
  pause(ms: number): Promise<void>;
}

export function createLocalGate(spacingMs: number): DispatchGate {
  let pausedUntil = 0;
  let lastDeparture = Number.NEGATIVE_INFINITY;
  const knownPauseMs = () => Math.max(0, pausedUntil - Date.now());
  return {
    knownPauseMs,
    async claim() {
      const pausedMs = knownPauseMs();
      if (pausedMs > 0) return { go: false, pausedMs };
      const now = performance.now();
      const wait = lastDeparture + spacingMs - now;
      if (wait > 0) return { go: false, spacingMs: Math.ceil(wait) };
      lastDeparture = now;
      return { go: true };
    },
    async pause(ms) {
      pausedUntil = Math.max(pausedUntil, Date.now() + ms);
    },
  };
}

/** Sets the pause only when no longer one is recorded: two 429s never shorten a pause. */
const EXTEND_PAUSE = `
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 0`;

/** On Redis's clock, so the instances' clocks need not agree. Returns {0} go, {1, ms} paused, {2, ms} spacing. */
const CLAIM = `
local paused = redis.call('PTTL', KEYS[1])
if paused > 0 then return {1, paused} end
local spacing = tonumber(ARGV[1])
if spacing <= 0 then return {0, 0} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local last = tonumber(redis.call('GET', KEYS[2]))
if last and last + spacing > now then return {2, math.ceil(last + spacing - now)} end
redis.call('SET', KEYS[2], tostring(now), 'PX', math.ceil(spacing) * 2 + 1000)
return {0, 0}`;

/**
 * The shared gate: one pause key and one last-departure key per connector, read and written
 * atomically by a script. A Redis failure lets the call go on this instance's own knowledge:
 * a missed pause costs at worst another 429, a stuck gate would stop the connector.
 */
export function createRedisGate(redis: Redis, keyPrefix: string, spacingMs: number, onError: (error: unknown) => void): DispatchGate {
  const local = createLocalGate(spacingMs);
  const pauseKey = `${keyPrefix}:pause`;
  const departureKey = `${keyPrefix}:departure`;
  return {
    knownPauseMs: local.knownPauseMs,
    async claim() {
      const pausedMs = local.knownPauseMs();
      if (pausedMs > 0) return { go: false, pausedMs };
      try {
        const [kind, ms] = (await redis.eval(CLAIM, 2, pauseKey, departureKey, String(spacingMs))) as [number, number];
        if (kind === 1) {
          await local.pause(ms);
          return { go: false, pausedMs: ms };
        }
        return kind === 2 ? { go: false, spacingMs: ms } : { go: true };
      } catch (error) {
        onError(error);
        return local.claim();
      }
    },
    async pause(ms) {
      const whole = Math.max(1, Math.ceil(ms));
      await local.pause(whole);
      try {
        await redis.eval(EXTEND_PAUSE, 1, pauseKey, String(whole));
      } catch (error) {
        onError(error);
      }
    },
  };
}
