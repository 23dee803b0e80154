import { Kind, print, type DocumentNode } from 'graphql';
import type { NormalizedConnector } from '../connectors/normalize.ts';
import { JSONScalar } from './scalars.ts';

/**
 * The map of the integration, read from the schema's directives: which field reads which
 * endpoint, which mutation writes to which systems, which events feed which subscription.
 * `interchange map` prints it; the directives are the single source.
 */
export interface Binding {
  kind: 'read' | 'write' | 'event';
  field: string;
  /** `connector.endpoint` for reads and writes, `connector:event.type` for events. */
  targets: string[];
}

export function collectBindings(documents: readonly DocumentNode[]): Binding[] {
  const bindings: Binding[] = [];
  for (const document of documents) {
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
      for (const field of definition.fields ?? []) {
        const name = `${definition.name.value}.${field.name.value}`;
        for (const directive of field.directives ?? []) {
          const arg = (n: string) => directive.arguments?.find((a) => a.name.value === n)?.value;
          const value = (n: string) => {
            const node = arg(n);
            return node ? JSONScalar.parseLiteral(node, {}) : undefined;
          };
          if (directive.name.value === 'connect') bindings.push({ kind: 'read', field: name, targets: [String(value('to'))] });
          if (directive.name.value === 'fanout') {
            const steps = (value('to') as Array<{ to?: unknown }> | undefined) ?? [];
            bindings.push({ kind: 'write', field: name, targets: steps.map((s) => String(s.to)) });
          }
          if (directive.name.value === 'event') {
            const from = arg('from');
            bindings.push({ kind: 'event', field: name, targets: from ? (JSONScalar.parseLiteral(from, {}) as string[]) : [print(directive)] });
          }
        }
      }
    }
  }
  return bindings;
}

/** The map as Markdown: one section per connector, then what nothing binds to. */
export function renderMap(connectors: readonly NormalizedConnector[], bindings: readonly Binding[]): string {
  const lines = ['# Integration map', ''];
  for (const connector of connectors) {
    const quota = connector.quota ? `${connector.quota.requests} calls per ${connector.quota.perMs / 1000} s` : 'no quota';
    lines.push(`## ${connector.name} — ${connector.title}`, '', `auth: ${connector.auth.type}; ${quota}; API version ${connector.apiVersion ?? 'unpinned'}`, '');
    const mine = (b: Binding) => b.targets.some((t) => t.startsWith(`${connector.name}.`) || t.startsWith(`${connector.name}:`));
    for (const kind of ['read', 'write', 'event'] as const) {
      const rows = bindings.filter((b) => b.kind === kind && mine(b));
      if (rows.length === 0) continue;
      lines.push(`- ${kind === 'read' ? 'reads' : kind === 'write' ? 'writes' : 'events'}:`);
      for (const b of rows) lines.push(`  - ${b.field} → ${b.targets.filter((t) => t.startsWith(connector.name)).join(', ')}`);
    }
    const used = new Set(bindings.flatMap((b) => b.targets));
    const unused = Object.keys(connector.endpoints).filter((e) => !used.has(`${connector.name}.${e}`));
    if (unused.length > 0) lines.push(`- endpoints no field binds directly: ${unused.join(', ')}`);
    lines.push('');
  }
  return lines.join('\n');
}
