// Fault injection shared by every imitated provider. A fault is { service, mode, count, match?, ...params }:
// the provider module asks take(service, mode, context) at the point where that fault would bite, and
// each successful take uses up one of the fault's count.

// Long enough to trip any client timeout we use, short enough that a forgotten fault cannot hang a run.
const MAX_DELAY_MS = 120_000;

export class FaultError extends Error {}

/**
 * A fault as stored: its parameters (`status`, `ms`, `event`, …) are the mode's own, checked when it is added.
 * @typedef {{ id: number; service: string; mode: string; count: number; match: string | null; created_at: string; [param: string]: any }} Fault
 */
/** @typedef {Record<string, unknown>} FaultContext what a take() is about (recipient, order, card…) */

export function createFaults() {
  /** @type {Map<string, { modes: Record<string, string[]>; validate: (fault: Fault) => void }>} */
  const registry = new Map();
  /** @type {Fault[]} */
  let faults = [];
  let nextId = 1;

  // modes: { modeName: [required parameter names] }; validate(fault) may throw FaultError for
  // service-specific parameters (e.g. Mailgun's event name).
  /**
   * @param {string} service
   * @param {Record<string, string[]>} modes
   * @param {(fault: Fault) => void} [validate]
   */
  function register(service, modes, validate = () => {}) {
    registry.set(service, { modes, validate });
  }

  /** @param {unknown} input the JSON a test posted */
  function add(input) {
    const fault = normalizeFault(input);
    faults.push(fault);
    return { ...fault };
  }

  /**
   * @param {unknown} json
   * @returns {Fault}
   */
  function normalizeFault(json) {
    if (!json || typeof json !== 'object' || Array.isArray(json)) {
      throw new FaultError('a fault must be a JSON object');
    }
    const input = /** @type {Record<string, any>} */ (json);
    const entry = registry.get(input.service);
    if (!entry) {
      throw new FaultError(`unknown service '${input.service}'; known: ${[...registry.keys()].join(', ')}`);
    }
    // `{ "service": "mailgun", "event": "failed" }` reads naturally, so an event implies its mode.
    const mode = input.mode ?? (input.event !== undefined ? 'event' : undefined);
    if (!Object.hasOwn(entry.modes, mode)) {
      throw new FaultError(
        `unknown mode '${mode}' for ${input.service}; known: ${Object.keys(entry.modes).join(', ')}`,
      );
    }
    for (const name of /** @type {string[]} checked just above */ (entry.modes[mode])) {
      if (input[name] === undefined) throw new FaultError(`mode '${mode}' needs '${name}'`);
    }
    const count = input.count ?? 1;
    if (!Number.isInteger(count) || count < 1) throw new FaultError("'count' must be a positive integer");
    if (input.status !== undefined && !isIntegerBetween(input.status, 100, 599)) {
      throw new FaultError("'status' must be an HTTP status code");
    }
    if (input.ms !== undefined && !isIntegerBetween(input.ms, 0, MAX_DELAY_MS)) {
      throw new FaultError(`'ms' must be an integer from 0 to ${MAX_DELAY_MS}`);
    }
    if (input.match !== undefined && (typeof input.match !== 'string' || input.match.trim() === '')) {
      throw new FaultError("'match' must be a non-empty string");
    }
    const fault = /** @type {Fault} */ ({
      ...input,
      id: nextId++,
      mode,
      count,
      match: input.match ?? null,
      created_at: new Date().toISOString(),
    });
    entry.validate(fault);
    return fault;
  }

  // Oldest matching fault first, so faults queued by one test fire in the order they were added.
  /**
   * @param {string} service
   * @param {string} mode
   * @param {FaultContext} [context]
   * @returns {Fault | null}
   */
  function take(service, mode, context = {}) {
    const index = faults.findIndex(
      (fault) => fault.service === service && fault.mode === mode && matchesContext(fault.match, context),
    );
    if (index === -1) return null;
    const fault = /** @type {Fault} */ (faults[index]);
    fault.count -= 1;
    if (fault.count <= 0) faults.splice(index, 1);
    return { ...fault };
  }

  function list() {
    return faults.map((fault) => ({ ...fault }));
  }

  /** @param {string} [service] */
  function clear(service) {
    const before = faults.length;
    faults = service ? faults.filter((fault) => fault.service !== service) : [];
    return before - faults.length;
  }

  return { register, add, take, list, clear, services: () => [...registry.keys()] };
}

// `key=value` compares exactly (case-insensitive) with context[key], or any element when it is a list;
// a bare string matches as a substring of any context value. Lets parallel tests scope faults to their
// own recipient, order or card.
/**
 * @param {string | null} match
 * @param {FaultContext} context
 */
export function matchesContext(match, context) {
  if (!match) return true;
  const separator = match.indexOf('=');
  if (separator === -1) {
    const needle = match.trim().toLowerCase();
    return Object.values(context)
      .flat()
      .some((value) => value != null && String(value).toLowerCase().includes(needle));
  }
  const key = match.slice(0, separator).trim();
  const expected = match
    .slice(separator + 1)
    .trim()
    .toLowerCase();
  return [context[key]].flat().some((value) => value != null && String(value).toLowerCase() === expected);
}

/**
 * @param {unknown} value
 * @param {number} min
 * @param {number} max
 */
function isIntegerBetween(value, min, max) {
  return (
    Number.isInteger(value) && /** @type {number} */ (value) >= min && /** @type {number} */ (value) <= max
  );
}
