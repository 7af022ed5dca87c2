import { eq } from 'drizzle-orm';
import { type ApiKeyRow, apiKeyColumns, parseScopes } from '../../api-keys/service';
import type { Database } from '../../db/client';
import { API_KEY_SCOPES, type ApiKeyScope, apiKeys } from '../../db/schema';

/** One key for the revoke confirmation page (never its hash). */
export async function apiKeyById(db: Database, id: number): Promise<ApiKeyRow | undefined> {
  const [row] = await db.select(apiKeyColumns).from(apiKeys).where(eq(apiKeys.id, id)).limit(1);
  return row ? { ...row, scopes: parseScopes(row.scopes) } : undefined;
}

/** The scopes ticked on the create form (one checkbox per scope, named `scope:<scope>`). */
export function scopesFromForm(form: Record<string, string>): ApiKeyScope[] {
  return API_KEY_SCOPES.filter((scope) => form[`scope:${scope}`] === 'on');
}
