import type { ExecutedQuery } from '@planetscale/database';
import { format } from '@planetscale/database';
import {
  Column,
  DrizzleQueryError,
  getTableColumns,
  is,
  Param,
  Placeholder,
  type Query,
  SQL,
  sql,
} from 'drizzle-orm';
import {
  MySqlDialect,
  type MySqlSelectBuilder,
  type MySqlTable,
  QueryBuilder,
  type SelectedFields,
} from 'drizzle-orm/mysql-core';
import type { Database } from './client';

/**
 * Hot statements (docs/design.md, "Hot statements"): the statements every authenticated request, the
 * transaction list and the PayMob webhook run, built by drizzle **once per isolate** with named
 * placeholders (`sql.placeholder('id')`) instead of once per request. Per call only the values are turned into
 * SQL literals (the driver's own escaping rules), spliced into the text split at build time, sent through the
 * request's own driver client (so `X-Request-Id` and the round-trip count are unchanged), and the rows mapped
 * by the selected columns' own decoders — the values drizzle's `mapResultRow` would give.
 *
 * The SQL text is split at its `?`s: a statement must have no `?` of its own (in a literal or a name);
 * building one that does throws, so a test of the statement catches it.
 */

type Decoder = { mapFromDriverValue(value: unknown): unknown };
type Encoder = { mapToDriverValue(value: unknown): unknown };
type Values = Record<string, unknown>;
/** A parameter: a constant driver value, or a named placeholder (through its column's encoder when bound). */
type Slot = { name: string; encoder?: Encoder } | { value: unknown };

const dialect = new MySqlDialect();
const queryBuilder = new QueryBuilder(dialect);

interface Built {
  sql: string;
  parts: string[];
  slots: Slot[];
}

function compile(query: Query): Built {
  const parts = query.sql.split('?');
  if (parts.length !== query.params.length + 1) {
    throw new Error(`prepared statement has ${parts.length - 1} '?' for ${query.params.length} parameters`);
  }
  const slots = query.params.map((param): Slot => {
    if (is(param, Placeholder)) return { name: param.name };
    if (is(param, Param) && is(param.value, Placeholder)) {
      return { name: param.value.name, encoder: param.encoder as Encoder };
    }
    return { value: param };
  });
  return { sql: query.sql, parts, slots };
}

// The characters the driver's `escape` rewrites (NUL, backspace, newline, CR, tab, Ctrl-Z, backslash, quotes).
// biome-ignore lint/suspicious/noControlCharactersInRegex: those control characters are what must be escaped
const SPECIAL = /[\0\b\n\r\t\x1a\\"']/;

/**
 * One value as a SQL literal, exactly as `@planetscale/database`'s `format` renders it (its `sanitize`; a unit
 * test compares the two on random values), without its per-character callback on long strings (JSON bodies).
 */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') {
    if (!SPECIAL.test(value)) return `'${value}'`;
    // Backslashes first: every later replacement adds one that must not be doubled again.
    return `'${value
      .replaceAll('\\', '\\\\')
      .replaceAll('"', '\\"')
      .replaceAll("'", "''")
      .replaceAll('\n', '\\n')
      .replaceAll('\r', '\\r')
      .replaceAll('\t', '\\t')
      .replaceAll('\0', '\\0')
      .replaceAll('\b', '\\b')
      .replaceAll('\x1a', '\\Z')}'`;
  }
  // Anything else (dates, bigints, arrays, bytes, non-finite numbers) as the driver does it.
  return format('?', [value]);
}

function driverValues(built: Built, values: Values): unknown[] {
  return built.slots.map((slot) => {
    if ('value' in slot) return slot.value;
    if (!(slot.name in values)) throw new Error(`No value for placeholder "${slot.name}" was provided`);
    const value = values[slot.name];
    return slot.encoder && value !== null && value !== undefined
      ? slot.encoder.mapToDriverValue(value)
      : value;
  });
}

function render(built: Built, params: unknown[]): string {
  let text = built.parts[0] ?? '';
  for (let i = 0; i < params.length; i++) text += sqlLiteral(params[i]) + built.parts[i + 1];
  return text;
}

/** Sends the formatted text through the request's client; a failure is wrapped as drizzle wraps it. */
async function send(
  db: Database,
  built: Built,
  values: Values,
  as: 'array' | 'object',
): Promise<ExecutedQuery> {
  const params = driverValues(built, values);
  const text = render(built, params);
  try {
    return await db.$client.execute(text, null, { as } as { as: 'object' });
  } catch (err) {
    throw new DrizzleQueryError(built.sql, params, err as Error);
  }
}

/** A select built once: `run(db, values)` gives its rows as drizzle would. */
export interface PreparedSelect<Row> {
  /** The SQL text with `?` for each parameter (tests, logs). */
  readonly sql: string;
  run(db: Database, values: Values): Promise<Row[]>;
}

type RowOf<Q> = Q extends { _: { result: (infer R)[] } } ? R : never;

/**
 * A select whose text is built on its first use and kept: `fields` are its columns (drizzle columns or
 * `sql\`…\`.as(name)`), `build` the rest of the query on drizzle's query builder, with `sql.placeholder(name)`
 * wherever a per-call value goes.
 */
export function preparedSelect<F extends SelectedFields, Q extends { toSQL(): Query }>(
  fields: F,
  build: (select: MySqlSelectBuilder<F, never, 'qb'>) => Q,
): PreparedSelect<RowOf<Q>> {
  let built: Built | undefined;
  const keys = Object.keys(fields);
  const decoders = keys.map((key): Decoder | undefined => {
    const field = fields[key];
    if (is(field, Column)) return field;
    // An expression's decoder (`.mapWith(column)`) is internal to drizzle's types, not to its objects.
    if (is(field, SQL)) return (field as unknown as { decoder: Decoder }).decoder;
    if (is(field, SQL.Aliased)) return (field.sql as unknown as { decoder: Decoder }).decoder;
    throw new Error(`prepared select: field ${key} is not a column or an SQL expression`);
  });
  const compiled = () => {
    built ??= compile(build(queryBuilder.select(fields)).toSQL());
    return built;
  };
  return {
    get sql() {
      return compiled().sql;
    },
    async run(db, values) {
      const { rows } = await send(db, compiled(), values, 'array');
      return (rows as unknown[][]).map((raw) => {
        const row: Record<string, unknown> = {};
        for (let i = 0; i < keys.length; i++) {
          const value = raw[i];
          row[keys[i] as string] =
            value === null || value === undefined ? null : (decoders[i]?.mapFromDriverValue(value) ?? value);
        }
        return row as RowOf<Q>;
      });
    },
  };
}

/** A write (or any statement whose rows are not read) built once: `run` gives the driver's result. */
export interface PreparedWrite<V = Values> {
  readonly sql: string;
  run(db: Database, values: V): Promise<ExecutedQuery>;
}

/** A statement written with drizzle's `sql` template, built on its first use and kept. */
export function preparedStatement(build: () => SQL): PreparedWrite {
  let built: Built | undefined;
  const compiled = () => {
    built ??= compile(dialect.sqlToQuery(build()));
    return built;
  };
  return {
    get sql() {
      return compiled().sql;
    },
    run: (db, values) => send(db, compiled(), values, 'object'),
  };
}

/** The placeholder `name` written as `column` writes its values (its encoder: dates, JSON, booleans). */
export function bound(name: string, column: Column): Param {
  return sql.param(sql.placeholder(name), column);
}

/**
 * `column = <placeholder name>` for an UPDATE's SET, the column unqualified (a single-table UPDATE), the value
 * through the column's encoder.
 */
export function assign(column: Column, name: string): SQL {
  return sql`${sql.identifier(column.name)} = ${bound(name, column)}`;
}

/**
 * `INSERT INTO table (columns…) VALUES (…)` of exactly `keys`, each value through its column's encoder (as
 * drizzle's insert does); the other columns take their SQL defaults. A column with a drizzle-side default
 * (`$defaultFn`, or an `$onUpdate` without an SQL default: drizzle's insert uses the SQL default first) must
 * be listed: drizzle would compute it, this does not.
 */
export function preparedInsert<T extends MySqlTable, K extends keyof T['$inferInsert'] & string>(
  table: T,
  keys: readonly K[],
): PreparedWrite<Pick<T['$inferInsert'], K>> {
  const columns = getTableColumns(table) as Record<string, Column>;
  for (const [key, column] of Object.entries(columns)) {
    if ((column.defaultFn || (column.onUpdateFn && !column.default)) && !keys.includes(key as K)) {
      throw new Error(`preparedInsert: ${key} has a drizzle-side default; list it`);
    }
  }
  const statement = preparedStatement(() => {
    const listed = keys.map((key) => {
      const column = columns[key];
      if (!column) throw new Error(`preparedInsert: no column ${key}`);
      return column;
    });
    return sql`insert into ${table} (${sql.join(
      listed.map((column) => sql.identifier(column.name)),
      sql`, `,
    )}) values (${sql.join(
      keys.map((key, i) => bound(key, listed[i] as Column)),
      sql`, `,
    )})`;
  });
  return statement as PreparedWrite<Pick<T['$inferInsert'], K>>;
}

/**
 * Statements whose shape varies (which filters a list has, which columns an update sets): one per shape key,
 * built on the first use of that shape. At most `limit` shapes are kept; past it a shape is built each time.
 */
export function preparedShapes<P>(limit: number, build: (key: string) => P): (key: string) => P {
  const cache = new Map<string, P>();
  return (key) => {
    const hit = cache.get(key);
    if (hit) return hit;
    const made = build(key);
    if (cache.size < limit) cache.set(key, made);
    return made;
  };
}
