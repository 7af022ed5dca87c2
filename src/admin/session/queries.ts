import { and, eq, gt, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { adminSessions, type Role, users, userTotp } from '../../db/schema';
import { randomBytes, sha256Hex, toBase64Url, toHex } from '../../lib/crypto';
import type { AuthenticatedUser } from '../../users/actor';
import { userColumns } from '../../users/columns';
import { checkCredentials } from '../../users/sessions';

/**
 * Server-side admin sessions (docs/api.md §8). The cookie holds 32 random bytes; the table keeps only their SHA-256,
 * so a leaked table cannot be replayed. A session ends at the first of: its absolute lifetime, an hour
 * without use, sign-out, its user leaving ADMIN/STAFF or being deactivated, or the user's tokens being
 * revoked (`tokens_valid_after`: deactivation, password change). All of that is checked in the one query
 * that loads the session, on every request.
 */
export const SESSION_COOKIE = 'stackpay_admin_session';
export const SESSION_ABSOLUTE_SECONDS = 8 * 60 * 60; // a working day; then sign in again
export const SESSION_IDLE_SECONDS = 60 * 60; // an unattended browser stops being a way in after an hour
// last_seen_at is written at most once a minute: idle expiry needs minutes, not one write per page view.
export const SESSION_TOUCH_SECONDS = 60;

const SESSION_TOKEN_BYTES = 32;
const USER_AGENT_MAX = 255; // admin_sessions.user_agent
const IP_MAX = 45; // admin_sessions.ip_address: the longest IPv6 text form

/** Roles that may use the admin at all; what each may do is decided per action. */
export const ADMIN_ROLES: readonly Role[] = ['ADMIN', 'STAFF'];

export interface AdminSession {
  sessionId: number;
  csrfSecret: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  /** When this session last accepted a two-factor code (sign-in, enrolment, step-up); docs/accounts.md §3. */
  secondFactorAt: Date | null;
  /** When the user's two-factor was turned on; null without it. */
  totpConfirmedAt: Date | null;
  /** The signed-in user, shaped like the API's authenticated user so the same services accept it. */
  user: AuthenticatedUser;
}

const SESSION_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/; // 32 bytes in unpadded base64url

/** The users service's column set and what a session check needs on top (the API's AuthenticatedUser). */
const sessionUserColumns = { ...userColumns, tokensValidAfter: users.tokensValidAfter };

/**
 * Checks a sign-in with the API's own credential check: only active ADMIN and STAFF users pass; a CUSTOMER
 * gets the same `undefined` as a wrong password, after the same PBKDF2 work. One query.
 */
export async function authenticateStaff(
  db: Database,
  username: string,
  password: string,
  beforeVerify?: (subject: string) => Promise<void>,
): Promise<AuthenticatedUser | undefined> {
  const user = await checkCredentials({ db }, { identifier: username, password, beforeVerify });
  if (!user || !ADMIN_ROLES.includes(user.role)) return undefined;
  const { customerId: _customer, ...staff } = user;
  return staff;
}

export interface NewSession {
  /** Goes into the cookie and nowhere else. */
  token: string;
  expiresAt: Date;
}

/**
 * Stores a new session and records the sign-in: the INSERT, the `last_login` update and the removal of the
 * user's dead sessions (so the table needs no cron) run concurrently — three statements, one round trip of
 * latency. The admin sign-in writes the stored column; the API login records itself in its refresh-token row
 * instead, and reads fold both (src/users/columns.ts `LAST_LOGIN_SQL`).
 */
export async function createAdminSession(
  db: Database,
  userId: number,
  meta: { ip: string | undefined; userAgent: string | undefined },
  now: Date,
  /** Set when the session starts with a second factor already accepted (after the sign-in code). */
  secondFactorAt: Date | null = null,
): Promise<NewSession> {
  const token = toBase64Url(randomBytes(SESSION_TOKEN_BYTES));
  const expiresAt = new Date(now.getTime() + SESSION_ABSOLUTE_SECONDS * 1000);
  const idleCutoff = new Date(now.getTime() - SESSION_IDLE_SECONDS * 1000);
  await Promise.all([
    db.insert(adminSessions).values({
      sessionHash: await sha256Hex(token),
      userId,
      csrfSecret: toHex(randomBytes(32)),
      ipAddress: meta.ip?.slice(0, IP_MAX) ?? null,
      userAgent: meta.userAgent?.slice(0, USER_AGENT_MAX) ?? null,
      createdAt: now,
      lastSeenAt: now,
      expiresAt,
      secondFactorAt,
    }),
    db.update(users).set({ lastLogin: now }).where(eq(users.id, userId)),
    db
      .delete(adminSessions)
      .where(
        and(
          eq(adminSessions.userId, userId),
          or(
            lt(adminSessions.expiresAt, now),
            lt(adminSessions.lastSeenAt, idleCutoff),
            sql`${adminSessions.revokedAt} is not null`,
          ),
        ),
      ),
  ]);
  return { token, expiresAt };
}

/**
 * The live session a cookie names, with its user: one query that also enforces every way a session ends.
 * Anything else (malformed, unknown, expired, idle, revoked, user no longer staff) is `undefined`.
 */
export async function loadAdminSession(
  db: Database,
  token: string | undefined,
  now: Date,
): Promise<AdminSession | undefined> {
  if (!token || !SESSION_TOKEN_SHAPE.test(token)) return undefined;
  const idleCutoff = new Date(now.getTime() - SESSION_IDLE_SECONDS * 1000);
  const [row] = await db
    .select({
      sessionId: adminSessions.id,
      csrfSecret: adminSessions.csrfSecret,
      createdAt: adminSessions.createdAt,
      lastSeenAt: adminSessions.lastSeenAt,
      expiresAt: adminSessions.expiresAt,
      secondFactorAt: adminSessions.secondFactorAt,
      totpConfirmedAt: userTotp.confirmedAt,
      user: sessionUserColumns,
    })
    .from(adminSessions)
    .innerJoin(users, eq(users.id, adminSessions.userId))
    // Two-factor state rides along in the same query (docs/accounts.md §3): no extra round trip per page.
    .leftJoin(userTotp, eq(userTotp.userId, adminSessions.userId))
    .where(
      and(
        eq(adminSessions.sessionHash, await sha256Hex(token)),
        isNull(adminSessions.revokedAt),
        gt(adminSessions.expiresAt, now),
        gt(adminSessions.lastSeenAt, idleCutoff),
        eq(users.isActive, true),
        inArray(users.role, [...ADMIN_ROLES]),
        // Deactivation and password changes move tokens_valid_after forward: older sessions die with tokens.
        or(isNull(users.tokensValidAfter), sql`${users.tokensValidAfter} <= ${adminSessions.createdAt}`),
      ),
    )
    .limit(1);
  return row;
}

/** Records that this session just accepted a two-factor code (enrolment or step-up). */
export async function markSecondFactor(db: Database, sessionId: number, at: Date): Promise<void> {
  await db.update(adminSessions).set({ secondFactorAt: at }).where(eq(adminSessions.id, sessionId));
}

/** True when the session's last_seen_at is old enough to be worth a write. */
export function needsTouch(session: AdminSession, now: Date): boolean {
  return now.getTime() - session.lastSeenAt.getTime() >= SESSION_TOUCH_SECONDS * 1000;
}

/** Moves the idle deadline forward. */
export async function touchAdminSession(db: Database, sessionId: number, now: Date): Promise<void> {
  await db.update(adminSessions).set({ lastSeenAt: now }).where(eq(adminSessions.id, sessionId));
}

/** Sign-out: the session stops working at once. */
export async function revokeAdminSession(db: Database, sessionId: number, now: Date): Promise<void> {
  await db
    .update(adminSessions)
    .set({ revokedAt: now })
    .where(and(eq(adminSessions.id, sessionId), isNull(adminSessions.revokedAt)));
}

/** Ends every admin session of a user (after a role or activation change), returning how many. */
export async function revokeUserAdminSessions(db: Database, userId: number, now: Date): Promise<number> {
  const result = await db
    .update(adminSessions)
    .set({ revokedAt: now })
    .where(and(eq(adminSessions.userId, userId), isNull(adminSessions.revokedAt)));
  return result.rowsAffected;
}
