import type { RequestLoaders } from '../loaders/index.ts';
import type { WriteService } from '../writes/service.ts';

/** Who is asking; filled by `auth/` from a verified token. */
export interface Principal {
  subject: string;
  scopes: readonly string[];
  tenant?: string | undefined;
}

/**
 * Where a record lives in each system (`customer` by email → the shop's customer id). Found once
 * through a connector, then remembered durably, so later reads go straight to the record.
 */
export interface RecordLinks {
  get(entity: string, key: string, system: string): Promise<string | undefined>;
  set(entity: string, key: string, system: string, externalId: string): Promise<void>;
}

/** The per-operation context every resolver receives. Built fresh for each operation. */
export interface GatewayContext {
  requestId: string;
  /** Epoch ms by which upstream work must be done. */
  deadline: number;
  loaders: RequestLoaders;
  links: RecordLinks;
  principal: Principal | undefined;
  writes: WriteService;
  /** The client's `Idempotency-Key` header: a repeated mutation returns the first operation. */
  idempotencyKey: string | undefined;
}
