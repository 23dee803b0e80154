import { request } from 'undici';
import type { StepExecutor } from '../../../src/writes/types.ts';

/**
 * The executor the outbox tests use: POSTs a step to `<base>/<connector>/<endpoint>` with its
 * idempotency key in a header (as Stripe and Xero take it). 2xx is success with the system's id;
 * 429 and 5xx are transient; other 4xx are permanent with the system's message. A cut connection
 * throws, which the dispatcher counts as transient.
 */
export function createHttpExecutor(baseUrl: string): StepExecutor {
  return {
    async execute(call) {
      const response = await request(`${baseUrl}/${call.connector}/${call.endpoint}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': call.idempotencyKey },
        body: JSON.stringify({ args: call.args, dependencies: call.dependencies }),
        signal: call.signal,
      });
      const body = (await response.body.json().catch(() => undefined)) as { id?: string; message?: string } | undefined;
      if (response.statusCode < 300) return { ok: true, externalId: body?.id, result: body };
      const reason = `${response.statusCode}: ${body?.message ?? 'no message'}`;
      if (response.statusCode === 429 || response.statusCode >= 500) return { ok: false, permanent: false, reason };
      return { ok: false, permanent: true, reason };
    },
  };
}
