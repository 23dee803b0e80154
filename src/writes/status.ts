import { assertNever, type OperationStatus, type StepStateName } from './types.ts';

/** An operation's status from its forward steps' states; the rules are spelled out on OperationStatus. */
export function deriveStatus(forwardStates: readonly StepStateName[]): OperationStatus {
  let standing = 0;
  let open = 0;
  for (const state of forwardStates) {
    switch (state) {
      case 'succeeded':
        standing += 1;
        break;
      case 'pending':
      case 'in_flight':
      case 'retry_scheduled':
        open += 1;
        break;
      case 'dead':
      case 'compensated':
        break;
      default:
        assertNever(state, 'step state');
    }
  }
  if (standing === forwardStates.length) return 'COMPLETED';
  if (standing > 0) return 'PARTIAL';
  return open > 0 ? 'PENDING' : 'FAILED';
}
