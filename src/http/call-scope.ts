/**
 * The life of one upstream call: it ends when the caller aborts, when its deadline passes, or
 * when the upstream closes, whichever comes first. One signal carries all three to the quota
 * queue and the backoff waits; `why()` tells them apart afterwards. Each attempt gets its own
 * signal that also ends after the connector's `requestMs`, so a slow attempt can be retried
 * while the call goes on.
 */
export interface CallScope {
  readonly signal: AbortSignal;
  readonly startedAt: number;
  why(): 'caller' | 'deadline' | 'closed' | undefined;
  /** Opens the next attempt, bounded to `ms`; `end()` it when it settles. */
  attempt(ms: number): Attempt;
  /** The upstream is closing: end the call now. */
  close(): void;
  dispose(): void;
}

export interface Attempt {
  readonly signal: AbortSignal;
  end(): void;
}

export function openCallScope(options: { signal?: AbortSignal | undefined; deadline?: number | undefined }): CallScope {
  const controller = new AbortController();
  const startedAt = Date.now();
  let reason: 'caller' | 'deadline' | 'closed' | undefined;
  // The attempt in progress is aborted directly, not through a listener on the call's signal.
  let current: AbortController | undefined;
  const end = (why: NonNullable<typeof reason>, value: unknown) => {
    if (controller.signal.aborted) return;
    reason = why;
    controller.abort(value);
    current?.abort(value);
  };
  const onCaller = () => end('caller', options.signal?.reason);
  if (options.signal?.aborted) onCaller();
  else options.signal?.addEventListener('abort', onCaller, { once: true });
  const timer =
    options.deadline === undefined
      ? undefined
      : setTimeout(() => end('deadline', new Error('deadline reached')), Math.max(0, options.deadline - startedAt));

  return {
    signal: controller.signal,
    startedAt,
    why: () => reason,
    attempt(ms) {
      const attempt = new AbortController();
      if (controller.signal.aborted) attempt.abort(controller.signal.reason);
      current = attempt;
      const limit = setTimeout(() => attempt.abort(new Error(`the attempt took longer than ${ms} ms`)), ms);
      return {
        signal: attempt.signal,
        end() {
          clearTimeout(limit);
          if (current === attempt) current = undefined;
        },
      };
    },
    close: () => end('closed', new Error('upstream closed')),
    dispose() {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onCaller);
    },
  };
}
