/**
 * Shared helpers for integration tests (the Worker inside workerd, the real MariaDB behind the PlanetScale
 * simulator). Each test makes its own users with unique names and its own client address, so tests never
 * depend on one another's rows or rate-limit counters.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { ensureCustomerProfile } from '../../../src/customers/bootstrap';
import { createDatabase, type Database } from '../../../src/db/client';
import { type Role, users } from '../../../src/db/schema';
import { type Config, type Env, getConfig } from '../../../src/env';
import worker from '../../../src/index';
import { hashPassword } from '../../../src/lib/password';
import { signToken } from '../../../src/lib/tokens';
import type { NotificationMessage } from '../../../src/notifications/messages';
import { isStaffRole, startOfSecond } from '../../../src/users/service';
import { issueSession } from '../../../src/users/sessions';

export const BASE_URL = 'https://stackpay.test';
/** Meets every rule of the password policy. */
export const DEFAULT_PASSWORD = 'Kettle-Drum42!';

let database: Database | undefined;
/** A Drizzle handle on the test database, for arranging and inspecting rows. */
export function testDb(): Database {
  database ??= createDatabase(env.DATABASE_URL as string, `test-helpers-${crypto.randomUUID()}`);
  return database;
}

/** The Worker's own parsed configuration (JWT secret, issuer, TTLs...). */
export function testConfig(): Config {
  return getConfig(env);
}

function randomSuffix(): string {
  return crypto.randomUUID().replaceAll('-', '').slice(0, 12);
}

/** A username nobody else in the run has (letters, digits and `_`; well under 150 characters). */
export function uniqueName(prefix = 'user'): string {
  return `${prefix}_${randomSuffix()}`;
}

/** A client address of its own (IPv6 documentation prefix), so per-IP rate limits never collide. */
export function uniqueIp(): string {
  const hex = randomSuffix();
  return `2001:db8:${hex.slice(0, 4)}:${hex.slice(4, 8)}:${hex.slice(8, 12)}::1`;
}

/** A request id the Worker keeps (and the simulator counts queries under). */
export function uniqueRequestId(label = 'test'): string {
  return `${label}-${randomSuffix()}`;
}

/**
 * The rate limiter's windows are aligned to the clock (src/durable/rate-limiter.ts): a burst that must land in
 * one window waits, when the current minute is nearly over, for the next one to start.
 */
export async function roomInMinuteWindow(neededMs = 20_000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < neededMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

export interface ApiInit extends Omit<RequestInit, 'body'> {
  /** Sent as the JSON body (with Content-Type: application/json). */
  json?: unknown;
  /** Raw body, for malformed-input tests. */
  body?: BodyInit | null;
  /** Access token for `Authorization: Bearer`. */
  token?: string;
  /** CF-Connecting-IP; a fresh unique address when left out. */
  ip?: string;
  requestId?: string;
}

function buildRequest(path: string, init: ApiInit): Request {
  const { json, token, ip, requestId, headers: extra, body, ...rest } = init;
  const headers = new Headers(extra);
  if (json !== undefined && !headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
  if (token !== undefined) headers.set('Authorization', `Bearer ${token}`);
  if (!headers.has('CF-Connecting-IP')) headers.set('CF-Connecting-IP', ip ?? uniqueIp());
  if (requestId !== undefined) headers.set('X-Request-Id', requestId);
  return new Request(`${BASE_URL}${path}`, {
    ...rest,
    headers,
    body: json !== undefined ? JSON.stringify(json) : body,
  });
}

/** Calls the Worker through its real entry point (`exports.default.fetch`). */
export function api(path: string, init: ApiInit = {}): Promise<Response> {
  return exports.default.fetch(buildRequest(path, init));
}

/**
 * Calls the Worker's fetch handler with some bindings replaced, e.g. a NOTIFICATIONS queue wrapped to record
 * what was sent. Waits for the request's waitUntil work.
 */
export async function apiWithEnv(path: string, init: ApiInit, overrides: Partial<Env>): Promise<Response> {
  const ctx = createExecutionContext();
  const request = buildRequest(path, init) as Parameters<typeof worker.fetch>[0];
  const response = await worker.fetch(request, { ...env, ...overrides } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/**
 * The real NOTIFICATIONS queue, wrapped to also record each message sent through it (e.g. to read a
 * verification code), or to fail every send (`failing: true`) like an unavailable queue.
 */
export function recordingQueue(options: { failing?: boolean } = {}): {
  queue: Queue;
  sent: NotificationMessage[];
} {
  const sent: NotificationMessage[] = [];
  const queue = {
    send: async (message: NotificationMessage, sendOptions?: QueueSendOptions) => {
      if (options.failing) throw new Error('queue unavailable (test)');
      sent.push(message);
      await env.NOTIFICATIONS.send(message, sendOptions);
    },
    sendBatch: async () => {
      throw new Error('not used by these tests');
    },
  } as unknown as Queue;
  return { queue, sent };
}

/** The response's JSON body, typed by the caller. */
export async function readJson<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

/** A problem+json body. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  request_id: string;
  errors?: Record<string, string[]>;
}

export interface TestUser {
  id: number;
  username: string;
  email: string;
  password: string;
  role: Role;
  /** Access and refresh tokens issued when the user was created (stored like a login's). */
  access: string;
  refresh: string;
}

export interface CreateUserOptions {
  role?: Role;
  active?: boolean;
  password?: string;
  username?: string;
  email?: string;
  /** Active CUSTOMERs get their customer profile (docs/api.md §3.1) unless this is false. */
  customerProfile?: boolean;
}

const hashes = new Map<string, Promise<string>>();
/** PBKDF2 at 100,000 iterations is slow on purpose: hash each distinct test password once per file. */
function cachedHash(password: string): Promise<string> {
  let hash = hashes.get(password);
  if (!hash) {
    hash = hashPassword(password);
    hashes.set(password, hash);
  }
  return hash;
}

/**
 * Inserts a user straight through Drizzle (no sign-up, no e-mail), active CUSTOMER by default, and issues a
 * token pair for them as a login would.
 */
export async function createUser(options: CreateUserOptions = {}): Promise<TestUser> {
  const role = options.role ?? 'CUSTOMER';
  const active = options.active ?? true;
  const password = options.password ?? DEFAULT_PASSWORD;
  const username = options.username ?? uniqueName(role.toLowerCase());
  const email = options.email ?? `${username.toLowerCase()}@example.com`;
  const db = testDb();
  const inserted = await db.insert(users).values({
    username,
    email,
    passwordHash: await cachedHash(password),
    role,
    isActive: active,
    isStaff: isStaffRole(role),
  });
  const id = Number(inserted.insertId);
  if (active && role === 'CUSTOMER' && options.customerProfile !== false) await ensureCustomerProfile(db, id);
  const tokens = await issueSession(db, testConfig(), id, new Date());
  return { id, username, email, password, role, ...tokens };
}

/** Flips `is_active` directly (no tokens_valid_after), to test the inactive-user check on its own. */
export async function setActive(userId: number, active: boolean): Promise<void> {
  await testDb().update(users).set({ isActive: active }).where(eq(users.id, userId));
}

/** Number of database round trips (statements) the simulator saw for one request id. */
export async function roundTrips(requestId: string): Promise<number> {
  return (await queryLog(requestId)).queries;
}

/** The simulator's record of one request: statement count and the first 200 characters of each. */
export async function queryLog(requestId: string): Promise<{ queries: number; statements: string[] }> {
  const response = await fetch(
    `${env.SIMULATOR_ADMIN_URL}/_sim/stats/requests/${encodeURIComponent(requestId)}`,
  );
  return (await response.json()) as { queries: number; statements: string[] };
}

// --- Tokens that must be refused ---------------------------------------------------------------------------

function base64url(value: object): string {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', '');
}

function payloadOf(token: string): Record<string, unknown> {
  const part = (token.split('.')[1] ?? '').replaceAll('-', '+').replaceAll('_', '/');
  return JSON.parse(atob(part.padEnd(Math.ceil(part.length / 4) * 4, '=')));
}

/** An access token for the user that expired an hour ago (correctly signed). */
export async function expiredAccessToken(user: TestUser): Promise<string> {
  const issued = new Date(Date.now() - 2 * 60 * 60 * 1000);
  return (await signToken(testConfig(), user.id, 'access', issued)).token;
}

/** The user's access token with its payload changed (to another user id) after signing. */
export function tamperedToken(user: TestUser): string {
  const [header, , signature] = user.access.split('.');
  const claims = payloadOf(user.access);
  const otherId = user.id + 1;
  return `${header}.${base64url({ ...claims, sub: String(otherId), user_id: otherId })}.${signature}`;
}

/** An unsigned token (`alg: none`) with otherwise valid claims for the user. */
export function algNoneToken(user: TestUser): string {
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payloadOf(user.access))}.`;
}

/**
 * A valid access token issued a minute ago, after which the user's tokens were revoked as a password change
 * revokes them (`tokens_valid_after` = now).
 */
export async function tokenIssuedBeforeRevocation(user: TestUser): Promise<string> {
  const issued = new Date(Date.now() - 60_000);
  const { token } = await signToken(testConfig(), user.id, 'access', issued);
  await testDb()
    .update(users)
    .set({ tokensValidAfter: startOfSecond(new Date()) })
    .where(eq(users.id, user.id));
  return token;
}

export { describeAuthorization } from './authorization';
