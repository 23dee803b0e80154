/**
 * Selectors: how a directive says where an upstream argument comes from.
 * `$args.id` (the field's argument), `$parent.links.shop` (the parent record), `$context.principal.tenant`
 * (the request context); in `@fanout` also `$record.links.pms` (the record a mutation is about)
 * and `$steps.crm.externalId` (an earlier step's result, filled in when the step is sent).
 * Anything else is a literal. Parsed once at start-up; evaluation on the hot path is a few
 * property reads.
 */

export type SelectorRoot = 'args' | 'parent' | 'context' | 'record' | 'steps';

export interface Selector {
  root: SelectorRoot;
  path: readonly string[];
}

const SELECTOR = /^\$(args|parent|context|record|steps)((?:\.[A-Za-z_][A-Za-z0-9_]*)+)$/;

/** A selector, a literal, or an error message when a string looks like a selector but is not one. */
export function parseSelector(value: unknown): { selector: Selector } | { literal: unknown } | { error: string } {
  if (typeof value !== 'string' || !value.startsWith('$')) return { literal: value };
  const match = SELECTOR.exec(value);
  if (!match) return { error: `"${value}" is not a selector; expected $args.<name>, $parent.<field>[.<field>…], $context.<key>[.<key>…], $record.<field>[…] or $steps.<step>.externalId` };
  return { selector: { root: match[1] as SelectorRoot, path: match[2]!.slice(1).split('.') } };
}

export interface SelectorScope {
  args: Record<string, unknown>;
  parent?: unknown;
  context: unknown;
  record?: unknown;
}

export function readSelector(selector: Selector, scope: SelectorScope): unknown {
  if (selector.root === 'steps') return `$steps.${selector.path.join('.')}`;
  let value: unknown = scope[selector.root];
  for (const key of selector.path) {
    if (value === null || value === undefined) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
