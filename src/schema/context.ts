import type { RequestLoaders } from '../loaders/index.ts';

/** Who is asking; filled by `auth/` from a verified token. */
export interface Principal {
  subject: string;
  scopes: readonly string[];
  tenant?: string | undefined;
}

/** The per-operation context every resolver receives. Built fresh for each operation. */
export interface GatewayContext {
  requestId: string;
  /** Epoch ms by which upstream work must be done. */
  deadline: number;
  loaders: RequestLoaders;
  principal: Principal | undefined;
}
