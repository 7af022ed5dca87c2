import type { Role } from '../db/schema';

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
