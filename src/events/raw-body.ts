import type { IncomingMessage } from 'node:http';

/**
 * The request body exactly as it arrived, as bytes: a signature covers these bytes, and a body
 * decoded and re-encoded (or parsed and re-serialised) must never verify. Reading stops at the
 * limit, so an oversized body costs at most `maxBytes` of memory.
 */
export type RawBody = { kind: 'ok'; bytes: Buffer } | { kind: 'too_large' };

export async function readRawBody(req: IncomingMessage, maxBytes: number): Promise<RawBody> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) return { kind: 'too_large' };
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) return { kind: 'too_large' };
    chunks.push(chunk);
  }
  return { kind: 'ok', bytes: Buffer.concat(chunks, size) };
}
