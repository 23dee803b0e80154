import type { WritePlan } from '../../../src/writes/types.ts';

/** A createCustomer-shaped plan: one write per system, independent unless told otherwise. */
export function customerPlan(email: string, overrides: Partial<WritePlan> = {}): WritePlan {
  return {
    mutation: 'createCustomer',
    input: { email, firstName: 'Ada' },
    steps: [
      { name: 'crm', connector: 'crm', endpoint: 'createContact', args: { email } },
      { name: 'shop', connector: 'shop', endpoint: 'createCustomer', args: { email } },
      { name: 'acct', connector: 'acct', endpoint: 'createContact', args: { EmailAddress: email } },
    ],
    ...overrides,
  };
}
