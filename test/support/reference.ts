import { startSimulators, type RunningSimulator, type SimulatorName } from '../../demo/index.ts';
import { startTestGateway, type TestGateway } from './gateway.ts';

/**
 * The reference integration for tests: the six simulators on port 0 (vendor behaviour, limits
 * relaxed so a test run is not throttled to Xero's 60 calls a minute), and a gateway on them.
 */
export interface Reference {
  sims: Record<SimulatorName, RunningSimulator>;
  gateway: TestGateway;
  admin(system: SimulatorName, path: string, body?: unknown): Promise<any>;
  /** Upstream calls counted from /metrics, by connector, token requests aside. */
  upstreamCalls(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

export async function startReference(env: Record<string, string> = {}, options: Parameters<typeof startTestGateway>[1] = {}): Promise<Reference> {
  const sims = await startSimulators({ limits: 'relaxed' });
  const quotas = Object.fromEntries(Object.keys(sims).map((name) => [`${name.toUpperCase()}_QUOTA`, '1000/second']));
  const gateway = await startTestGateway(
    { ...quotas, DEMO: 'true', ...env },
    { ...options, demo: async (name) => ({ ...sims[name as SimulatorName], close: async () => undefined }) },
  );
  const admin = async (system: SimulatorName, path: string, body?: unknown) => {
    const response = await fetch(`${sims[system].url}/__admin/${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return response.json();
  };
  return {
    sims,
    gateway,
    admin,
    async upstreamCalls() {
      const text = await (await fetch(`${gateway.url}/metrics`)).text();
      const calls: Record<string, number> = {};
      for (const match of text.matchAll(/^interchange_upstream_requests_total\{connector="(\w+)",endpoint="(\w+)",code="[^"]*"\} (\d+)/gm)) {
        if (match[2] === 'auth') continue;
        calls[match[1]!] = (calls[match[1]!] ?? 0) + Number(match[3]);
      }
      return calls;
    },
    async stop() {
      await gateway.stop();
      await Promise.all(Object.values(sims).map((s) => s.close()));
    },
  };
}

/** Difference of two call counts, by connector, zeros left out. */
export function callsBetween(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, n] of Object.entries(after)) if (n - (before[name] ?? 0) > 0) out[name] = n - (before[name] ?? 0);
  return out;
}
