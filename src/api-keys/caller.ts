import type { ApiKeyScope } from '../db/schema';

/**
 * A server API key that authenticated this request (docs/api-keys.md §3): set as `ctx.apiKey` by
 * `requireScope` only, after it checked the route's scope, so its presence means the route admits keys.
 * `ctx.actor` stays undefined: a key is not a user.
 */
export interface ApiKeyCaller {
  id: number;
  name: string;
  scopes: readonly ApiKeyScope[];
  /** The ADMIN who created the key (idempotency records are kept under this user id, per key). */
  createdBy: number;
}
