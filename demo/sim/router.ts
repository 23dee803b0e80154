import type { RouteSpec } from './types.ts';

type Segment =
  | { kind: 'literal'; value: string }
  | { kind: 'param'; name: string; prefix: string; suffix: string };

interface CompiledRoute {
  spec: RouteSpec;
  segments: Segment[];
}

export interface RouteMatch {
  spec: RouteSpec;
  params: Record<string, string>;
}

const PARAM = /^(.*)\{(\w+)\}(.*)$/;

function compile(path: string): Segment[] {
  return path
    .split('/')
    .slice(1)
    .map((part): Segment => {
      const m = PARAM.exec(part);
      if (!m) return { kind: 'literal', value: part };
      return { kind: 'param', prefix: m[1] ?? '', name: m[2] ?? '', suffix: m[3] ?? '' };
    });
}

/**
 * Matches method + path in registration order (register literal routes such as
 * `/customers/search.json` before `/customers/{id}.json`).
 *
 * Why raw segments: the path is split on '/' while still percent-encoded and only then is each
 * segment decoded, so `/contacts/..%2F..%2Fadmin` is one segment whose parameter value is
 * `../../admin`. It reaches the contact handler (and is not found) instead of resolving to
 * another route, which is exactly what a real backend does with an encoded parameter.
 */
export class Router {
  private readonly bySize = new Map<string, CompiledRoute[]>();

  constructor(routes: readonly RouteSpec[]) {
    for (const spec of routes) {
      const segments = compile(spec.path);
      const key = `${spec.method} ${segments.length}`;
      const list = this.bySize.get(key) ?? [];
      list.push({ spec, segments });
      this.bySize.set(key, list);
    }
  }

  match(method: string, rawPath: string): RouteMatch | undefined {
    const parts = rawPath.split('/').slice(1);
    const candidates = this.bySize.get(`${method} ${parts.length}`);
    if (!candidates) return undefined;
    for (const route of candidates) {
      const params = matchSegments(route.segments, parts);
      if (params) return { spec: route.spec, params };
    }
    return undefined;
  }
}

function matchSegments(segments: Segment[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const raw = parts[i]!;
    if (seg.kind === 'literal') {
      if (raw !== seg.value) return undefined;
      continue;
    }
    if (raw.length <= seg.prefix.length + seg.suffix.length) return undefined;
    if (!raw.startsWith(seg.prefix) || !raw.endsWith(seg.suffix)) return undefined;
    const encoded = raw.slice(seg.prefix.length, raw.length - seg.suffix.length);
    try {
      params[seg.name] = decodeURIComponent(encoded);
    } catch {
      return undefined; // malformed escapes never match: the vendor's 404
    }
  }
  return params;
}
