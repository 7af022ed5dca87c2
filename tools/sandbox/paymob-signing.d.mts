// Types for TypeScript tests that use the sandbox's PayMob signer (the tooling itself stays plain JavaScript).

export const TRANSACTION_HMAC_FIELDS: readonly string[];
export const FLATTENED_HMAC_KEYS: readonly string[];
export const TOKEN_HMAC_FIELDS: readonly string[];

export type FlattenedQuery = URLSearchParams | Record<string, string | undefined>;

export function hmacValue(value: unknown): string;
export function transactionHmacMessage(obj: object): string;
export function flattenedHmacMessage(query: FlattenedQuery): string;
export function tokenHmacMessage(obj: object): string;
export function hmacSha512(message: string, secret: string | undefined): string;
export function signTransaction(obj: object, secret: string | undefined): string;
export function signFlattened(query: FlattenedQuery, secret: string | undefined): string;
export function signToken(obj: object, secret: string | undefined): string;
