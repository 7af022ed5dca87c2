import { sql } from 'drizzle-orm';
import type { Database } from '../db/client';

/** The readiness check's one round trip: resolves when the database answers, throws when it cannot. */
export async function pingDatabase(db: Database): Promise<void> {
  await db.execute(sql`select 1`);
}
