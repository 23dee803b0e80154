import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.ts';
import { startTestGateway } from '../support/gateway.ts';

/** Start-up refuses a broken event binding or webhook declaration, saying where and what was expected. */

const define = resolve('src/connectors/define.ts');
const signatures = resolve('src/events/signatures/index.ts');

function connector(extra: string): string {
  return [
    `import { defineConnector } from '${define}';`,
    `import { githubSignature } from '${signatures}';`,
    'export default defineConnector({',
    "  name: 'things',",
    "  endpoints: { thing: { path: '/things/{id}', args: ['id'] }, changed: { path: '/things', args: ['since'], cacheTtlSeconds: 0 } },",
    extra,
    '});',
  ].join('\n');
}

const WEBHOOKS = "  webhooks: { scheme: githubSignature(), secrets: ['WEBHOOK_SECRET'], types: ['thing.changed'], events: () => [] },";
const EVENT_TYPE = 'type ThingEvent { cursor: ID! }';

async function startupError(files: { schema: string; connector: string }): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'interchange-events-'));
  mkdirSync(join(root, 'connectors'));
  mkdirSync(join(root, 'schema'));
  writeFileSync(join(root, 'connectors', 'things.ts'), files.connector);
  writeFileSync(join(root, 'schema', 'app.graphql'), files.schema);
  const env = { CONNECTORS_DIR: join(root, 'connectors'), SCHEMA_DIR: join(root, 'schema'), THINGS_URL: 'http://127.0.0.1:9', THINGS_WEBHOOK_SECRET: 's' };
  const error = await startTestGateway(env).then(
    async (g) => {
      await g.stop();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigurationError);
  return (error as Error).message;
}

describe('start-up refuses a broken @event binding', () => {
  it('names the file, line and every problem at once', async () => {
    const message = await startupError({
      connector: connector(WEBHOOKS),
      schema: [
        EVENT_TYPE,
        'extend type Query { x: String }',
        'type Subscription {',
        '  a(after: ID): ThingEvent! @event(from: ["thing.removed"])',
        '  b: ThingEvent! @event(from: ["shop:thing.changed"])',
        '  c(colour: String): ThingEvent! @event(from: ["thing.changed"], filter: { size: "data.size", colour: "body.colour" })',
        '  d: ThingEvent!',
        '}',
      ].join('\n'),
    });
    expect(message).toContain('app.graphql:4:');
    expect(message).toContain('Subscription.a @event: from: no connector emits "thing.removed" (declared: thing.changed)');
    expect(message).toContain('Subscription.b @event: from: no connector "shop" (connectors: things)');
    expect(message).toContain('filter.size: c has no argument "size" to filter by (arguments: colour)');
    expect(message).toContain('filter.colour: expected a path into the event (type, source, subject.id, subject.type, data.<field>), got "body.colour"');
    expect(message).toMatch(/app\.graphql:7:\d+: Subscription\.d: expected @event\(from: \[\.\.\.\]\)/);
  });

  it('refuses @event outside the Subscription type', async () => {
    const message = await startupError({
      connector: connector(WEBHOOKS),
      schema: ['extend type Query { x: String @event(from: ["thing.changed"]) }'].join('\n'),
    });
    expect(message).toContain('Query.x @event: only fields of the Subscription type can be bound to events');
  });
});

describe('start-up refuses a broken webhooks or poll section', () => {
  it('says what was expected of the webhooks section', async () => {
    const message = await startupError({
      connector: connector("  webhooks: { scheme: 'stripe', secrets: [], types: ['Thing Changed'], events: () => [], retries: 3 },"),
      schema: 'extend type Query { x: String }',
    });
    expect(message).toContain('webhooks.scheme: expected a signature scheme such as stripeSignature(), or a function returning one, got "stripe"');
    expect(message).toContain('webhooks.secrets: at least one secret');
    expect(message).toContain('webhooks.types.0: event types like "order.created", got "Thing Changed"');
    expect(message).toContain('webhooks: unknown key(s) "retries"');
  });

  it('refuses a poll over a cached endpoint or without its cursor argument', async () => {
    const poll = (endpoint: string) =>
      `  poll: { endpoint: '${endpoint}', intervalMs: 1000, cursor: { arg: 'since' }, types: ['thing.changed'], events: () => [] },`;
    expect(await startupError({ connector: connector(poll('thing')), schema: 'extend type Query { x: String }' })).toContain(
      'poll.cursor.arg: endpoint thing takes no argument "since" (it takes: id)',
    );
    expect(await startupError({ connector: connector(poll('thing')), schema: 'extend type Query { x: String }' })).toContain(
      'poll.endpoint: endpoint thing must not be cached (cacheTtlSeconds: 0), got 30',
    );
    expect(await startupError({ connector: connector(poll('missing')), schema: 'extend type Query { x: String }' })).toContain(
      'poll.endpoint: expected one of the endpoints [thing, changed], got "missing"',
    );
  });
});
