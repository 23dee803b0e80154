import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const cli = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { env: { ...process.env, LOG_LEVEL: 'silent', DEMO: 'true', ...env } }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

describe('the interchange command', () => {
  it('check passes on the reference project', async () => {
    const { code, stdout } = await cli(['check']);
    expect(code).toBe(0);
    expect(stdout).toContain('ok: 6 connectors (accounting, crm, payments, pms, pos, shop)');
  });

  it('check fails on a broken binding, naming the file and line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'interchange-check-'));
    writeFileSync(join(dir, 'broken.graphql'), 'extend type Query {\n  x: String @connect(to: "crm.nothing")\n}\n');
    const { code, stderr } = await cli(['check'], { SCHEMA_DIR: dir });
    expect(code).toBe(1);
    expect(stderr).toMatch(/broken\.graphql:2:\d+: Query\.x @connect: connector "crm" has no endpoint "nothing"/);
  });

  it('check lists every missing variable for production', async () => {
    const { code, stderr } = await cli(['check'], { NODE_ENV: 'production', DEMO: 'false' });
    expect(code).toBe(1);
    expect(stderr).toContain('CRM_URL, CRM_CLIENT_ID, CRM_CLIENT_SECRET');
  });

  it('map draws which fields read and write which systems', async () => {
    const { code, stdout } = await cli(['map']);
    expect(code).toBe(0);
    expect(stdout).toContain('## shop — Shop (Shopify Admin REST)');
    expect(stdout).toContain('Order.invoice → accounting.invoiceByReference');
    expect(stdout).toContain('Mutation.createCustomer → crm.createContact');
  });
});
