import { z } from 'zod';
import { type FieldErrors, validationError } from './errors';

/** Field name used for problems about the body as a whole (not an object, wrong shape). */
export const NON_FIELD = 'non_field_errors';

type Issue = z.core.$ZodRawIssue;

function describeLimit(issue: Issue & { code: 'too_big' | 'too_small' }): string | undefined {
  const n = Number(issue.maximum ?? issue.minimum);
  if (issue.origin === 'string') {
    if (issue.code === 'too_big') return `Ensure this field has no more than ${n} characters.`;
    return n <= 1 ? 'This field may not be blank.' : `Ensure this field has at least ${n} characters.`;
  }
  if (issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint') {
    if (issue.code === 'too_big') return `Ensure this value is less than or equal to ${n}.`;
    return `Ensure this value is greater than or equal to ${n}.`;
  }
  return undefined;
}

/**
 * Plain-sentence messages in the original API's wording (Django REST framework) instead of zod's
 * defaults, so clients keep the messages they know.
 */
z.config({
  customError: (issue) => {
    // A missing key fails whatever check comes first (type, enum, literal): it is "required" in every case.
    if (issue.input === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value')) {
      return 'This field is required.';
    }
    if (issue.code === 'invalid_type') {
      if (issue.input === null) return 'This field may not be null.';
      if (issue.expected === 'string') return 'Not a valid string.';
      if (issue.expected === 'number' || issue.expected === 'int') return 'A valid number is required.';
      if (issue.expected === 'boolean') return 'Must be a valid boolean.';
      if (issue.expected === 'object') return 'Invalid data. Expected a dictionary.';
      if (issue.expected === 'array') return 'Expected a list of items.';
    }
    if (issue.code === 'too_big' || issue.code === 'too_small') return describeLimit(issue);
    if (issue.code === 'invalid_value' && issue.values.length > 0) {
      const input = typeof issue.input === 'string' ? issue.input : JSON.stringify(issue.input);
      return `"${String(input).slice(0, 100)}" is not a valid choice.`;
    }
    if (issue.code === 'invalid_format' && issue.format === 'email') return 'Enter a valid email address.';
    return undefined;
  },
});

/** Every issue, grouped per field (dot path), keeping all messages of a field. */
export function fieldErrorsFrom(error: z.ZodError): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of error.issues) {
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : NON_FIELD;
    const list = errors[field] ?? [];
    if (!list.includes(issue.message)) list.push(issue.message);
    errors[field] = list;
  }
  return errors;
}

/** The one validation hook: a failed parse becomes a 400 problem through the app's onError. */
export function throwOnInvalid(result: { success: boolean; error?: z.ZodError }): void {
  if (!result.success && result.error) throw validationError(fieldErrorsFrom(result.error));
}
