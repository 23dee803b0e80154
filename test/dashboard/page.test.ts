import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import type { Reference } from '../support/reference.ts';
import { deadLetterAtPms, readDuringAccountingOutage, readGuests, startDashboardReference } from './support.ts';

// Globals of the page, for the functions evaluated in it: the tests compile without the DOM library.
declare const document: { body: { dataset: Record<string, string | undefined> } };
declare function getComputedStyle(element: unknown): { backgroundColor: string };

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let ref: Reference;
let browser: Browser;
beforeAll(async () => {
  ref = await startDashboardReference();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await browser?.close();
  await ref?.stop();
});

describe('the dashboard in a browser', () => {
  it('shows the connector in an outage as failing, the dead letter with its replay command, and fetches nothing from elsewhere', async () => {
    await readGuests(ref, 4);
    await readDuringAccountingOutage(ref);
    const operationId = await deadLetterAtPms(ref);

    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    page.on('pageerror', (error) => problems.push(error.message));

    await page.goto(`${ref.gateway.url.replace('localhost', '127.0.0.1')}/dashboard`);
    await page.waitForSelector('body[data-refreshed]');

    const row = (key: string) => page.locator(`tr[data-key="${key}"]`);
    expect(await row('connector:accounting').getAttribute('data-health')).toBe('failing');
    expect(await row('connector:accounting').getAttribute('class')).toBe('failing');
    expect(await row('connector:accounting').innerText()).toMatch(/failed calls?/);
    // The red is on screen, not just in an attribute.
    expect(await row('connector:accounting').locator('td').first().evaluate((td) => getComputedStyle(td).backgroundColor)).toBe('rgb(254, 226, 226)');
    for (const name of ['crm', 'shop']) expect(await row(`connector:${name}`).getAttribute('data-health'), name).toBe('ok');

    const dead = page.locator('#dead tbody tr').first();
    expect(await dead.innerText()).toContain('createCustomer');
    expect(await dead.locator('code').innerText()).toMatch(/^npx interchange replay [0-9a-f-]{36}$/);
    expect(await row(`op:${operationId}`).innerText()).toContain('PARTIAL');
    expect(await page.locator('#summary').innerText()).toMatch(/failing/);

    // It keeps refreshing on its own.
    const first = Number(await page.getAttribute('body', 'data-refreshed'));
    await page.waitForFunction((n) => Number(document.body.dataset.refreshed) > n, first, { timeout: 10_000 });

    await page.screenshot({ path: '/tmp/dashboard.png', fullPage: true });
    expect(requests.length).toBeGreaterThan(1);
    expect(requests.filter((url) => !url.startsWith('http://127.0.0.1:'))).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });
});
