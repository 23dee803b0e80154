import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startReference, type Reference } from './support/reference.ts';

/**
 * Follows the README's "Adding a connector" walk-through as written: the files are taken from the
 * README's code blocks, added to a copy of the reference project, and the example query is run
 * against a loyalty backend that counts its calls.
 */

const readme = readFileSync('README.md', 'utf8');
const section = readme.slice(readme.indexOf('## Adding a connector'));
const fileBlocks = [...section.matchAll(/```\w+ title="([^"]+)"\n([\s\S]*?)```/g)].map((m) => ({ path: m[1]!, text: m[2]! }));
const exampleQuery = [...section.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]!).at(-1)!;

const members = new Map<string, { email: string; points: number; tier: string }>();
const seen: string[] = [];
const backend = createServer((req, res) => {
  seen.push(req.url ?? '');
  if (req.headers['x-api-key'] !== 'walkthrough-key') return res.writeHead(401).end();
  const url = new URL(req.url ?? '/', 'http://x');
  const emails = url.pathname === '/members' ? (url.searchParams.get('emails') ?? '').split(',') : [decodeURIComponent(url.pathname.split('/')[2] ?? '')];
  const found = emails.map((e) => members.get(e)).filter(Boolean);
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(url.pathname === '/members' ? { members: found } : found[0]));
});

let ref: Reference;
beforeAll(async () => {
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  // A copy of the project with the walk-through's files added; src/ and node_modules/ are shared.
  const project = mkdtempSync(join(tmpdir(), 'interchange-walkthrough-'));
  symlinkSync(resolve('src'), join(project, 'src'));
  symlinkSync(resolve('node_modules'), join(project, 'node_modules'));
  cpSync('connectors', join(project, 'connectors'), { recursive: true });
  cpSync('schema', join(project, 'schema'), { recursive: true });
  for (const block of fileBlocks) {
    mkdirSync(join(project, block.path, '..'), { recursive: true });
    writeFileSync(join(project, block.path), block.text);
  }
  const port = (backend.address() as AddressInfo).port;
  ref = await startReference({
    CONNECTORS_DIR: join(project, 'connectors'),
    SCHEMA_DIR: join(project, 'schema'),
    LOYALTY_URL: `http://127.0.0.1:${port}`,
    LOYALTY_API_KEY: 'walkthrough-key',
  });
  expect(readdirSync(join(project, 'connectors'))).toContain('loyalty.ts');
});
afterAll(async () => {
  await ref?.stop();
  await new Promise((r) => backend.close(r));
});

it('the README walk-through adds a working, batched connector', async () => {
  expect(fileBlocks.map((b) => b.path)).toEqual(['connectors/loyalty.ts', 'schema/loyalty.graphql']);
  const customers = await ref.gateway.query('{ customers(first: 20) { nodes { email } } }');
  const emails: string[] = customers.body.data.customers.nodes.map((n: { email: string }) => n.email);
  emails.forEach((email, i) => members.set(email, { email, points: i * 10, tier: ['basic', 'silver', 'gold'][i % 3]! }));

  const { body } = await ref.gateway.query(exampleQuery);
  expect(body.errors).toBeUndefined();
  expect(body.data.customers.nodes).toHaveLength(20);
  body.data.customers.nodes.forEach((node: { email: string; loyalty: { points: number; tier: string } }, i: number) => {
    expect(node).toEqual({ email: emails[i], loyalty: { points: i * 10, tier: ['BASIC', 'SILVER', 'GOLD'][i % 3] } });
  });
  expect(seen).toHaveLength(1);
  expect(seen[0]).toMatch(/^\/members\?emails=/);
});
