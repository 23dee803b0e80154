export interface LimitResult {
  allowed: boolean;
  remaining: number;
  /** When the next call would be allowed again (0 when allowed). */
  retryAfterMs: number;
}

const BUCKETS = 100;

/**
 * Counts calls in a sliding window (HubSpot's ten-second rolling limit, Xero's per-minute and
 * per-day limits, Mews' 30-second limit). Limits are passed on every call so that
 * `POST /__admin/config` takes effect immediately.
 *
 * Why buckets: keeping one timestamp per call would hold a whole day of calls for a daily
 * limit. Calls are counted in at most 100 buckets per window instead; a bucket leaves the
 * window when its start does, so expiry is up to 1/100 of the window early. Counts are exact,
 * and each call is O(1) amortised.
 */
export class RollingWindow {
  private starts: number[] = [];
  private counts: number[] = [];
  private head = 0;
  private used = 0;
  private windowMs = 0;

  take(now: number, max: number, windowMs: number): LimitResult {
    const result = this.peek(now, max, windowMs);
    if (!result.allowed) return result;
    const width = Math.max(1, windowMs / BUCKETS);
    const start = Math.floor(now / width) * width;
    const last = this.starts.length - 1;
    if (last >= this.head && this.starts[last] === start) this.counts[last]! += 1;
    else {
      this.starts.push(start);
      this.counts.push(1);
    }
    this.used += 1;
    result.remaining -= 1;
    return result;
  }

  /** Counts without taking a slot. */
  peek(now: number, max: number, windowMs: number): LimitResult {
    if (windowMs !== this.windowMs) this.reset(windowMs);
    while (this.head < this.starts.length && this.starts[this.head]! + windowMs <= now) {
      this.used -= this.counts[this.head]!;
      this.head += 1;
    }
    if (this.head > 64 && this.head * 2 > this.starts.length) {
      this.starts = this.starts.slice(this.head);
      this.counts = this.counts.slice(this.head);
      this.head = 0;
    }
    if (this.used < max) return { allowed: true, remaining: max - this.used, retryAfterMs: 0 };
    // Blocked: wait until enough of the oldest buckets have left for one more call.
    let freed = 0;
    for (let i = this.head; i < this.starts.length; i++) {
      freed += this.counts[i]!;
      if (this.used - freed < max) return { allowed: false, remaining: 0, retryAfterMs: Math.max(1, this.starts[i]! + windowMs - now) };
    }
    return { allowed: false, remaining: 0, retryAfterMs: windowMs };
  }

  private reset(windowMs: number): void {
    this.windowMs = windowMs;
    this.starts = [];
    this.counts = [];
    this.head = 0;
    this.used = 0;
  }
}

/** Shopify's leaky bucket: each call adds one, the bucket drains `leakPerSecond`. */
export class LeakyBucket {
  private level = 0;
  private last = 0;

  take(now: number, capacity: number, leakPerSecond: number): LimitResult & { used: number } {
    this.level = Math.max(0, this.level - ((now - this.last) / 1000) * leakPerSecond);
    this.last = now;
    if (this.level + 1 > capacity) {
      const retryAfterMs = Math.ceil(((this.level + 1 - capacity) / leakPerSecond) * 1000);
      return { allowed: false, remaining: 0, retryAfterMs, used: capacity };
    }
    this.level += 1;
    const used = Math.min(capacity, Math.ceil(this.level));
    return { allowed: true, remaining: capacity - used, retryAfterMs: 0, used };
  }
}
