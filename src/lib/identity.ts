/**
 * Login identifiers as the database compares them (docs/security.md §1). The schema's collation
 * (utf8mb4_unicode_ci locally, PlanetScale's utf8mb4_0900_ai_ci in production) ignores case, accents and
 * zero-width characters and folds compatibility forms (full-width letters), so `Ａmíra`, `ami\u200Bra` and
 * `AMIRA` all find the account `amira`. A limiter keyed on such a name must fold it the same way, or every
 * spelling gets its own budget.
 */

const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;
const COMBINING_MARK = /\p{M}/gu;

/**
 * NFKC (full-width and other compatibility forms), default-ignorable code points removed (zero-width spaces
 * and joiners, soft hyphen, variation selectors), accents removed (canonical decomposition without its
 * combining marks, as an accent-insensitive collation compares), full case folding (`ß` → `ss`), trimmed.
 */
export function normaliseIdentifier(raw: string): string {
  const withoutIgnorables = raw.normalize('NFKC').replace(DEFAULT_IGNORABLE, '');
  const withoutAccents = withoutIgnorables.normalize('NFD').replace(COMBINING_MARK, '');
  // toUpperCase then toLowerCase is JavaScript's nearest to Unicode full case folding (ß → SS → ss, ſ → S → s).
  return withoutAccents.toUpperCase().toLowerCase().normalize('NFC').trim();
}
