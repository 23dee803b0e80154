import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.ts';
import { startTestGateway } from '../support/gateway.ts';

/** A throwaway project: one schema file, and the people fixture connector unless another is given. */
function project(files: { schema: string; connector?: string }): { CONNECTORS_DIR: string; SCHEMA_DIR: string } {
  const root = mkdtempSync(join(tmpdir(), 'interchange-startup-'));
  mkdirSync(join(root, 'connectors'));
  mkdirSync(join(root, 'schema'));
  if (files.connector) writeFileSync(join(root, 'connectors', 'people.ts'), files.connector);
  writeFileSync(join(root, 'schema', 'app.graphql'), files.schema);
  return {
    CONNECTORS_DIR: files.connector ? join(root, 'connectors') : resolve('test/fixtures/people/connectors'),
    SCHEMA_DIR: join(root, 'schema'),
  };
}

const env = { PEOPLE_URL: 'http://127.0.0.1:9', PEOPLE_API_KEY: 'k' };

async function startupError(dirs: Record<string, string>, extraEnv: Record<string, string> = env): Promise<string> {
  const error = await startTestGateway({ ...extraEnv, ...dirs }).then(
    async (g) => {
      await g.stop();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigurationError);
  return (error as Error).message;
}

describe('start-up refuses a broken project with the place and what was expected', () => {
  it('names the file, line and the missing endpoint of a broken binding', async () => {
    const dirs = project({
      schema: ['type P { id: ID! }', '', 'extend type Query {', '  p(id: ID!): P @connect(to: "people.persn", args: { id: "$args.id" })', '}'].join('\n'),
    });
    const message = await startupError(dirs);
    expect(message).toMatch(/app\.graphql:4:\d+: Query\.p @connect: connector "people" has no endpoint "persn" \(endpoints: person, /);
  });

  it('names an unknown connector, an undeclared argument, an unbound required argument and a bad selector, all at once', async () => {
    const dirs = project({
      schema: [
        'type P { id: ID! }',
        'extend type Query {',
        '  a: P @connect(to: "crm.contact", args: { id: "1" })',
        '  b(id: ID!): P @connect(to: "people.person", args: { id: "$args.id", colour: "red" })',
        '  c: P @connect(to: "people.person")',
        '  d(id: ID!): P @connect(to: "people.person", args: { id: "$args.ident" })',
        '}',
      ].join('\n'),
    });
    const message = await startupError(dirs);
    expect(message).toContain(':3:');
    expect(message).toContain('no connector "crm" (connectors: people)');
    expect(message).toContain('endpoint people.person takes no argument "colour" (it takes: id)');
    expect(message).toContain('endpoint people.person requires argument "id", which is not bound');
    expect(message).toContain('$args.ident: Query.d has no argument "ident" (arguments: id)');
  });

  it('rejects a connector file with an unknown key and a wrong type, saying what was expected and what came', async () => {
    const dirs = project({
      schema: 'extend type Query { x: String }',
      connector: [
        "import { defineConnector } from '" + resolve('src/connectors/define.ts') + "';",
        'export default defineConnector({',
        "  name: 'people',",
        "  quota: { requests: 'ten', per: 'second' },",
        "  endpoints: { person: { path: '/people/{id}', args: [], colour: 'red' } },",
        '} as never);',
      ].join('\n'),
    });
    const message = await startupError(dirs);
    expect(message).toMatch(/people\.ts: quota\.requests: .*expected number.*got "ten"/i);
    expect(message).toMatch(/people\.ts: endpoints\.person: unknown key\(s\) "colour"/);
  });

  it('rejects a path parameter the endpoint does not declare', async () => {
    const dirs = project({
      schema: 'extend type Query { x: String }',
      connector: [
        "import { defineConnector } from '" + resolve('src/connectors/define.ts') + "';",
        "export default defineConnector({ name: 'people', endpoints: { person: { path: '/people/{id}', args: ['ident'] } } });",
      ].join('\n'),
    });
    expect(await startupError(dirs)).toContain('endpoints.person.path: parameter {id} is not among the declared args [ident]');
  });

  it('lists every missing variable in production instead of starting a demo', async () => {
    const dirs = project({ schema: 'extend type Query { x: String }' });
    const message = await startupError(dirs, { NODE_ENV: 'production' });
    expect(message).toContain('Missing configuration: set PEOPLE_URL, PEOPLE_API_KEY');
  });
});

describe('node flags', () => {
  // The README's Configuration section and the benchmark's numbers assume one set of flags.
  it('are the same for npm start, the Docker image and the benchmark', async () => {
    const { readFileSync } = await import('node:fs');
    const { GATEWAY_NODE_FLAGS } = await import('../../bench/services.ts');
    const start = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } }).scripts.start;
    const fromStart = /^tsx ((?:--\S+ )*)src\/cli\.ts start$/.exec(start)?.[1]?.trim().split(' ');
    const fromImage = /^ENV NODE_OPTIONS="?([^"\n]*)"?$/m.exec(readFileSync('Dockerfile', 'utf8'))?.[1]?.split(' ');
    expect(fromStart).toEqual(GATEWAY_NODE_FLAGS);
    expect(fromImage).toEqual(GATEWAY_NODE_FLAGS);
    expect(GATEWAY_NODE_FLAGS).toContain('--max-semi-space-size=32');
  });
});
