import { describe, expect, it } from 'vitest';
import { replaySet } from '../../src/writes/outbox.ts';
import { reconcileSteps, type StepFacts } from '../../src/writes/reconcile.ts';
import { backoffDelay, settle } from '../../src/writes/retry.ts';
import { deriveStatus } from '../../src/writes/status.ts';

const step = (id: string, ordinal: number, state: StepFacts['state'], extra: Partial<StepFacts> = {}): StepFacts => ({
  id,
  name: id,
  ordinal,
  kind: 'forward',
  compensatesStepId: null,
  state,
  deadCause: state === 'dead' ? 'exhausted' : null,
  hasCompensation: false,
  dependsOnIds: [],
  ...extra,
});

describe('operation status', () => {
  it.each([
    [['succeeded', 'succeeded'], 'COMPLETED'],
    [['succeeded', 'retry_scheduled'], 'PARTIAL'],
    [['succeeded', 'dead'], 'PARTIAL'],
    [['pending', 'in_flight'], 'PENDING'],
    [['retry_scheduled', 'dead'], 'PENDING'],
    [['dead', 'compensated'], 'FAILED'],
    [['dead', 'dead'], 'FAILED'],
  ] as const)('is derived from %j as %s', (states, status) => {
    expect(deriveStatus(states)).toBe(status);
  });
});

describe('operation rules', () => {
  it('kills pending steps that transitively need a dead step, naming the dependency', () => {
    const result = reconcileSteps([
      step('a', 0, 'dead'),
      step('b', 1, 'pending', { dependsOnIds: ['a'] }),
      step('c', 2, 'pending', { dependsOnIds: ['b'] }),
      step('d', 3, 'pending'),
    ]);
    expect(result.cascadeDead).toEqual([
      { id: 'b', dependency: 'a' },
      { id: 'c', dependency: 'b' },
    ]);
    expect(result.status).toBe('PENDING');
  });

  it('compensates only succeeded steps declared before a rejected one, and only once', () => {
    const steps = [
      step('a', 0, 'succeeded', { hasCompensation: true }),
      step('b', 1, 'succeeded', { hasCompensation: true }),
      step('c', 2, 'dead', { deadCause: 'rejected' }),
      step('d', 3, 'succeeded', { hasCompensation: true }),
      step('a:compensate', 4, 'pending', { kind: 'compensation', compensatesStepId: 'a', dependsOnIds: ['a'] }),
    ];
    expect(reconcileSteps(steps).compensate).toEqual(['b']);
  });

  it('does not compensate for a step that ran out of attempts: a replay may still fix it', () => {
    expect(reconcileSteps([step('a', 0, 'succeeded', { hasCompensation: true }), step('b', 1, 'dead')]).compensate).toEqual([]);
  });

  it('marks a step compensated once its compensation succeeded, failing an operation with nothing left standing', () => {
    const result = reconcileSteps([
      step('a', 0, 'succeeded', { hasCompensation: true }),
      step('b', 1, 'dead', { deadCause: 'rejected' }),
      step('a:compensate', 2, 'succeeded', { kind: 'compensation', compensatesStepId: 'a', dependsOnIds: ['a'] }),
    ]);
    expect(result.compensated).toEqual(['a']);
    expect(result.status).toBe('FAILED');
  });

  it('replays a dead step with the dead steps it needs and the steps that died because of it', () => {
    const steps = [
      { id: 'a', state: 'dead', dead_cause: 'exhausted' },
      { id: 'b', state: 'dead', dead_cause: 'rejected' },
      { id: 'c', state: 'dead', dead_cause: 'dependency' },
      { id: 'd', state: 'dead', dead_cause: 'rejected' },
      { id: 'e', state: 'succeeded', dead_cause: null },
    ];
    const edges = [
      { step_id: 'b', depends_on_step_id: 'a' },
      { step_id: 'c', depends_on_step_id: 'b' },
      { step_id: 'd', depends_on_step_id: 'e' },
    ];
    expect(replaySet(steps, edges, 'b').sort()).toEqual(['a', 'b', 'c']);
  });
});

describe('retry settlement', () => {
  const backoff = { initialDelayMs: 100, maxDelayMs: 1_000, factor: 2 };

  it('draws full-jitter delays under an exponential, capped ceiling', () => {
    expect([1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, backoff, () => 0.999))).toEqual([99, 199, 399, 799, 999]);
    expect(backoffDelay(3, backoff, () => 0)).toBe(0);
  });

  it('honours a Retry-After longer than the drawn delay', () => {
    const settled = settle({ ok: false, permanent: false, reason: '429', retryAfterMs: 5_000 }, { attempts: 1, maxAttempts: 3 }, 0, backoff, () => 0.5);
    expect(settled).toEqual({ state: 'retry_scheduled', nextAttemptAt: 5_000, lastError: '429' });
  });

  it('is dead at once when permanent and after the last attempt when transient', () => {
    expect(settle({ ok: false, permanent: true, reason: 'invalid' }, { attempts: 1, maxAttempts: 5 }, 0, backoff)).toMatchObject({ state: 'dead', deadCause: 'rejected' });
    expect(settle({ ok: false, permanent: false, reason: '503' }, { attempts: 5, maxAttempts: 5 }, 0, backoff)).toMatchObject({ state: 'dead', deadCause: 'exhausted' });
  });
});

describe('an attempt the gateway never sent', () => {
  const backoff = { initialDelayMs: 100, maxDelayMs: 1_000, factor: 2 };
  it('is not counted, waits for the circuit with a spread, and never dead-letters the step', () => {
    const outcome = { ok: false as const, permanent: false, reason: 'pms is unavailable (circuit open)', retryAfterMs: 10_000, notSent: true };
    const settled = settle(outcome, { attempts: 5, maxAttempts: 5 }, 1_000, backoff, () => 0.5);
    expect(settled).toEqual({ state: 'retry_scheduled', nextAttemptAt: 1_000 + 12_500, lastError: outcome.reason, attemptNotCounted: true });
  });
});
