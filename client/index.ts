/**
 * A typed StackPay client (docs/openapi.md): the types in schema.d.ts are generated from the API's OpenAPI
 * document by openapi-typescript (`npm run client:generate`); requests go through openapi-fetch, so every
 * path, parameter, body and answer is checked by TypeScript.
 *
 *   const api = createStackPayClient({ baseUrl: 'https://pay.example.com', token: () => session.access });
 *   const { data, error } = await api.POST('/api/v1/transactions/txn', {
 *     body: { amount: '100.00' },
 *     params: idempotent(),
 *   });
 */
import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './schema';

export type { components, operations, paths } from './schema';
export type StackPayClient = Client<paths>;

export interface StackPayClientOptions {
  /** The deployment's origin, e.g. `https://pay.example.com` (paths already start with `/api/v1`). */
  baseUrl: string;
  /** The access token, or a function giving the current one (called for every request). */
  token?: string | (() => string | undefined | Promise<string | undefined>);
  /** A fetch to use instead of the global one (tests, service bindings, retries). */
  fetch?: (request: Request) => Promise<Response>;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
}

export function createStackPayClient(options: StackPayClientOptions): StackPayClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
  });
  const { token } = options;
  if (token !== undefined) {
    client.use({
      async onRequest({ request }) {
        const value = typeof token === 'function' ? await token() : token;
        if (value && !request.headers.has('Authorization'))
          request.headers.set('Authorization', `Bearer ${value}`);
        return request;
      },
    });
  }
  return client;
}

/** A new random idempotency key. Keep it to retry the same request safely. */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

/**
 * The `params` of a request that takes an `Idempotency-Key` (payment creation, refund, void): a retry with the
 * same key and body gets the first answer (`Idempotent-Replayed: true`) instead of a second payment.
 */
export function idempotent(key: string = newIdempotencyKey()): { header: { 'Idempotency-Key': string } } {
  return { header: { 'Idempotency-Key': key } };
}
