/**
 * docs/security.md §3: no request body of ours nests deeper than a few levels (PayMob's callback about five,
 * docs/paymob.md §6). Deeper JSON is refused before anything parses it: recursive code (canonicalisation for
 * idempotency keys, JSON.stringify, MariaDB's 32-level JSON limit) would otherwise overflow on it.
 */
export const MAX_JSON_DEPTH = 16;

/**
 * Whether a JSON text opens more than `max` arrays or objects inside one another, in one pass without
 * recursion and without parsing (a malformed text is left to the parser's 400).
 */
export function jsonDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) {
      inString = true;
    } else if (ch === 0x7b || ch === 0x5b) {
      if (++depth > max) return true;
    } else if (ch === 0x7d || ch === 0x5d) {
      depth--;
    }
  }
  return false;
}
