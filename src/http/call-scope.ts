/**
 * The life of one upstream call: it ends when the caller aborts, when its deadline passes, or
 * when the upstream closes, whichever comes first. One signal carries all three to the quota
 * queue, the backoff waits and the attempt timeout; `why()` tells them apart afterwards.
 */
export interface CallScope {
  readonly signal: AbortSignal;
  readonly startedAt: number;
  why(): 'caller' | 'deadline' | 'closed' | undefined;
  /** The upstream is closing: end the call now. */
  close(): void;
  dispose(): void;
}

export function openCallScope(options: { signal?: AbortSignal | undefined; deadline?: number | undefined }): CallScope {
  const controller = new AbortController();
  const startedAt = Date.now();
  let reason: 'caller' | 'deadline' | 'closed' | undefined;
  const end = (why: NonNullable<typeof reason>, value: unknown) => {
    if (controller.signal.aborted) return;
    reason = why;
    controller.abort(value);
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
    close: () => end('closed', new Error('upstream closed')),
    dispose() {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onCaller);
    },
  };
}
