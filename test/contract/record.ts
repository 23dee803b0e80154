/**
 * Records one vendor payload per connector from its simulator, with the mapping it produced, into
 * test/contract/recorded/. Run after a deliberate mapping change: `npx tsx test/contract/record.ts`.
 */
import { writeFileSync } from 'node:fs';
import { startSimulators } from '../../demo/index.ts';
import { CONTRACTS } from './contracts.ts';
import { connectors } from './harness.ts';

const sims = await startSimulators({ limits: 'relaxed' });
try {
  for (const contract of CONTRACTS) {
    const sim = sims[contract.name];
    const connector = (await connectors).get(contract.name)!;
    const ep = connector.endpoints[contract.single.endpoint]!;
    const { single } = await contract.sample(sim);
    const path = ep.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(single[name])));
    const settings = Object.fromEntries(connector.secrets.map((s) => [s, sim.credentials[s] ?? '']));
    const query = new URLSearchParams(Object.entries(ep.query?.(single, settings) ?? {}).filter(([, v]) => v != null).map(([k, v]): [string, string] => [k, String(v)]));
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const auth = connector.auth;
    let body: unknown = ep.body?.(single, settings);
    if (auth.type === 'oauth2') {
      const form = new URLSearchParams({ grant_type: 'client_credentials' });
      const basic = Buffer.from(`${settings.CLIENT_ID}:${settings.CLIENT_SECRET}`).toString('base64');
      if (auth.clientAuth !== 'basic') form.set('client_id', settings.CLIENT_ID!), form.set('client_secret', settings.CLIENT_SECRET!);
      const token = (await (await fetch(`${sim.url}${auth.tokenUrl}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth.clientAuth === 'basic' && { authorization: `Basic ${basic}` }) }, body: form })).json()) as { access_token: string };
      headers.authorization = `Bearer ${token.access_token}`;
    }
    if (auth.type === 'bearer') headers.authorization = `Bearer ${settings[auth.token.secret]}`;
    if (auth.type === 'apiKey') headers[auth.name] = settings[auth.value.secret]!;
    if (auth.type === 'bodyTokens') body = { ...(body as object), ...Object.fromEntries(Object.entries(auth.fields).map(([k, v]) => [k, typeof v === 'string' ? v : settings[v.secret]])) };
    for (const [name, value] of Object.entries(connector.headers)) headers[name] = typeof value === 'string' ? value : settings[value.secret]!;
    const response = await fetch(`${sim.url}${path}${query.size ? `?${query}` : ''}`, { method: ep.method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const answer = await response.json();
    const raw = ep.unwrap ? ep.unwrap(answer) : answer;
    writeFileSync(new URL(`./recorded/${contract.name}.json`, import.meta.url), `${JSON.stringify({ endpoint: contract.single.endpoint, args: single, raw, mapped: ep.map(raw, single) }, null, 2)}\n`);
    console.log(`${contract.name}: recorded ${contract.single.endpoint}`);
  }
} finally {
  await Promise.all(Object.values(sims).map((s) => s.close()));
}
