import type { IncomingMessage } from 'node:http';

const MAX_BODY_BYTES = 1024 * 1024;

export class BodyTooLargeError extends Error {}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLargeError(`body larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export type ParsedBody = { ok: true; value: unknown } | { ok: false; message: string };

/** JSON for JSON (or untyped bodies that look like JSON), nested objects for form bodies. */
export function parseBody(contentType: string | undefined, raw: string): ParsedBody {
  if (raw.length === 0) return { ok: true, value: undefined };
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') return { ok: true, value: parseForm(raw) };
  if (type === 'application/json' || type.endsWith('+json') || type === '') {
    try {
      return { ok: true, value: JSON.parse(raw) };
    } catch (err) {
      return { ok: false, message: (err as Error).message };
    }
  }
  return { ok: true, value: undefined };
}

type FormNode = { [key: string]: FormValue };
type FormValue = string | FormNode | FormValue[];

/**
 * Form bodies the Stripe way: `metadata[order]=%231001` → `{ metadata: { order: '#1001' } }`,
 * `expand[]=a&expand[]=b` → `{ expand: ['a', 'b'] }`, `items[0][price]=x` → `{ items: [{ price: 'x' }] }`.
 * Flat forms (OAuth token requests) come out flat.
 */
export function parseForm(raw: string): Record<string, unknown> {
  const root: FormNode = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    const path = keyPath(key);
    let node: FormNode = root;
    for (let i = 0; i < path.length - 1; i++) {
      const part = path[i]!;
      const nextIsPush = path[i + 1] === '';
      const existing = node[part];
      if (nextIsPush) {
        if (!Array.isArray(existing)) node[part] = [];
        (node[part] as FormValue[]).push(value);
        node = {};
        break;
      }
      if (existing === undefined || typeof existing === 'string' || Array.isArray(existing)) {
        node[part] = {};
      }
      node = node[part] as FormNode;
    }
    const last = path[path.length - 1]!;
    if (last !== '') node[last] = value;
  }
  return arrayify(root) as Record<string, unknown>;
}

function keyPath(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0 || !key.endsWith(']')) return [key];
  const rest = key.slice(open + 1, -1).split('][');
  return [key.slice(0, open), ...rest];
}

/** Objects whose keys are all indexes (`items[0]`, `items[1]`) become arrays, as Stripe reads them. */
function arrayify(value: FormValue): unknown {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(arrayify);
  const keys = Object.keys(value);
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = arrayify(value[k]!);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((k) => out[k]);
  }
  return out;
}
