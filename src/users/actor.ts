import type { Role } from '../db/schema';
import { unauthorized } from '../lib/errors';

/** Who is acting: the user an access token, an admin session or (later) an API key resolves to. */
export interface Actor {
  id: number;
  username: string;
  email: string;
  role: Role;
}

/** The authenticated user as the one auth query loaded it: enough to answer `profiles/mine` without another. */
export interface AuthenticatedUser extends Actor {
  isActive: boolean;
  dateJoined: Date;
  lastLogin: Date | null;
  tokensValidAfter: Date | null;
}

/**
 * The acting user of a service that needs one (`ctx.actor`, set by the auth middleware or the admin session).
 * Behind requireAuth it is always there; without one the request is a 401, never a 500.
 */
export function actingUser(ctx: { actor: AuthenticatedUser | undefined }): AuthenticatedUser {
  if (!ctx.actor) throw unauthorized('Authentication credentials were not provided.');
  return ctx.actor;
}
