// How PlanetScale (Vitess behind the psdb HTTP API) presents MySQL results and errors.
//
// Shapes follow the protobuf JSON that @planetscale/database parses: zero values are left out (protojson),
// 64-bit integers are strings, row values are the MySQL text-protocol bytes, base64-encoded back to back.
// Checked against planetscale/database-js golden/database.json (a real response for every column type).

/** @typedef {import('mysql2').FieldPacket & { extendedFormat?: string, characterSet?: number }} MysqlField */

/**
 * @typedef {object} VitessField
 * @property {string} name
 * @property {string} [type] left out for NULL_TYPE (the proto zero value); the driver then uses 'NULL'
 * @property {string} [table]
 * @property {string} [orgTable]
 * @property {string} [database]
 * @property {string} [orgName]
 * @property {number} [columnLength]
 * @property {number} [charset]
 * @property {number} [decimals]
 * @property {number} [flags]
 */

// MySQL protocol column type → Vitess type (vitess go/sqltypes mysqlToType), before flag adjustments.
const MYSQL_TO_VITESS = new Map([
  [0, 'DECIMAL'],
  [1, 'INT8'],
  [2, 'INT16'],
  [3, 'INT32'],
  [4, 'FLOAT32'],
  [5, 'FLOAT64'],
  [6, 'NULL_TYPE'],
  [7, 'TIMESTAMP'],
  [8, 'INT64'],
  [9, 'INT24'],
  [10, 'DATE'],
  [11, 'TIME'],
  [12, 'DATETIME'],
  [13, 'YEAR'],
  [14, 'DATE'],
  [15, 'VARCHAR'],
  [16, 'BIT'],
  [17, 'TIMESTAMP'],
  [18, 'DATETIME'],
  [19, 'TIME'],
  [245, 'JSON'],
  [246, 'DECIMAL'],
  [247, 'ENUM'],
  [248, 'SET'],
  [249, 'TEXT'],
  [250, 'TEXT'],
  [251, 'TEXT'],
  [252, 'TEXT'],
  [253, 'VARCHAR'],
  [254, 'CHAR'],
  [255, 'GEOMETRY'],
]);

const UNSIGNED_FLAG = 32;
const BINARY_FLAG = 128;
const ENUM_FLAG = 256;
const SET_FLAG = 2048;

/**
 * Vitess type name for a column, as vitess' MySQLToType + modifyType compute it. Like Vitess, the
 * binary *flag* (also set for _bin collations) picks BINARY/VARBINARY/BLOB; the driver itself only
 * treats charset 63 as bytes, so a utf8mb4_bin TEXT column is typed BLOB yet still decoded as text.
 *
 * MariaDB's JSON is an alias for LONGTEXT + CHECK(json_valid()): on the wire it is a BLOB/VARCHAR, and
 * only the MariaDB extended metadata (`format=json`, which mysql2 negotiates) tells it apart. That marks
 * JSON columns and JSON-function results, so both get type JSON, which the driver JSON.parses — exactly
 * what drizzle's json() needs, since drizzle does not parse strings itself for planetscale-serverless.
 * @param {MysqlField} field
 * @returns {string}
 */
export function vitessType(field) {
  if (field.extendedFormat === 'json') return 'JSON';
  const base = MYSQL_TO_VITESS.get(/** @type {number} */ (field.columnType)) ?? 'VARBINARY';
  const flags = numericFlags(field);
  if (/^INT(8|16|24|32|64)$/.test(base) && flags & UNSIGNED_FLAG) return `U${base}`;
  if (base === 'TEXT' && flags & BINARY_FLAG) return 'BLOB';
  if (base === 'VARCHAR' && flags & BINARY_FLAG) return 'VARBINARY';
  if (base === 'CHAR') {
    if (flags & BINARY_FLAG) return 'BINARY';
    if (flags & ENUM_FLAG) return 'ENUM';
    if (flags & SET_FLAG) return 'SET';
  }
  return base;
}

/**
 * @param {MysqlField} field
 * @returns {VitessField}
 */
export function toVitessField(field) {
  const type = vitessType(field);
  return withoutZeroValues({
    name: field.name,
    type: type === 'NULL_TYPE' ? undefined : type,
    table: field.table,
    orgTable: field.orgTable,
    database: field.schema,
    orgName: field.orgName,
    columnLength: field.columnLength,
    charset: field.characterSet,
    decimals: field.decimals,
    flags: numericFlags(field),
  });
}

/**
 * mysql2 types flags loosely (number | string[]); on the wire they are always a bit mask.
 * @param {MysqlField} field
 * @returns {number}
 */
function numericFlags(field) {
  return typeof field.flags === 'number' ? field.flags : 0;
}

/**
 * protojson leaves out empty strings and zero numbers; the driver copes with missing keys.
 * @template {Record<string, unknown>} T
 * @param {T} object
 * @returns {T}
 */
function withoutZeroValues(object) {
  return /** @type {T} */ (Object.fromEntries(Object.entries(object).filter(([, value]) => value)));
}

/**
 * Encodes rows of raw values (Buffer per column, null for NULL) as Vitess rows.
 * @param {Array<Array<Buffer | null>>} rows
 * @returns {Array<{ lengths: string[], values?: string }>}
 */
export function encodeRows(rows) {
  return rows.map((row) => {
    const lengths = row.map((value) => (value === null ? '-1' : String(value.length)));
    const bytes = Buffer.concat(row.filter((value) => value !== null));
    return bytes.length ? { lengths, values: bytes.toString('base64') } : { lengths };
  });
}

// gRPC code → MySQL errnos, after vitess' tabletserver convertErrorCode (the commonly met subset).
const ERRNOS_BY_CODE = {
  ALREADY_EXISTS: [1050, 1062, 1086, 1125],
  NOT_FOUND: [1054, 1109, 1146, 1176, 1305],
  PERMISSION_DENIED: [1044, 1045, 1095, 1142, 1143, 1227],
  FAILED_PRECONDITION: [1046, 1091, 1169, 1216, 1217, 1241, 1242, 1264, 1364, 1451, 1452],
  RESOURCE_EXHAUSTED: [1040, 1041, 1153, 1203, 1206],
  UNAVAILABLE: [1053, 2002, 2003, 2006, 2013],
  DEADLINE_EXCEEDED: [1205],
  ABORTED: [1213],
  CANCELED: [1317],
  INVALID_ARGUMENT: [
    1048, 1049, 1051, 1052, 1060, 1061, 1064, 1065, 1067, 1068, 1111, 1136, 1149, 1292, 1366, 1406, 1690,
  ],
};
/** @type {Map<number, string>} */
const ERRNO_CODES = new Map(
  Object.entries(ERRNOS_BY_CODE).flatMap(([code, errnos]) => errnos.map((errno) => [errno, code])),
);

/** @param {string} code gRPC code in SCREAMING_CASE */
function grpcName(code) {
  return code
    .toLowerCase()
    .split('_')
    .map((word) => /** @type {string} the codes have no empty word */ (word[0]).toUpperCase() + word.slice(1))
    .join('');
}

/**
 * Vitess normalises literals into bind variables and redacts them in errors; doing the same keeps
 * secrets out of local logs exactly as in production.
 * @param {string} sql
 */
export function redactLiterals(sql) {
  let n = 0;
  return sql.replace(/'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|\b\d+(?:\.\d+)?\b/g, () => `:vtg${++n}`);
}

/**
 * @typedef {object} ErrorContext
 * @property {string} database
 * @property {string} username
 * @property {string} sql
 */

/**
 * A MySQL error as PlanetScale words it, keeping `(errno N) (sqlstate S)` that apps match on.
 * @param {{ errno: number, sqlState?: string, sqlMessage?: string, message: string }} error
 * @param {ErrorContext} context
 * @returns {{ code: string, message: string }}
 */
export function sqlError(error, { database, username, sql }) {
  const code = ERRNO_CODES.get(error.errno) ?? 'UNKNOWN';
  const text = error.sqlMessage ?? error.message;
  const statement = redactLiterals(sql).slice(0, 500);
  const message =
    `target: ${database}.-.primary: vttablet: rpc error: code = ${grpcName(code)} desc = ${text} ` +
    `(errno ${error.errno}) (sqlstate ${error.sqlState ?? 'HY000'}) (CallerID: ${username}): ` +
    `Sql: ${JSON.stringify(statement)}, BindVars: {REDACTED}`;
  return { code, message };
}

/**
 * An error raised by Vitess itself rather than MySQL (no errno), e.g. a timed-out transaction.
 * @param {string} code gRPC code in SCREAMING_CASE
 * @param {string} description
 * @param {Omit<ErrorContext, 'sql'>} context
 */
export function vttabletError(code, description, { database, username }) {
  return {
    code,
    message: `target: ${database}.-.primary: vttablet: rpc error: code = ${grpcName(code)} desc = ${description} (CallerID: ${username})`,
  };
}

/**
 * @param {string} description
 * @param {string} database
 */
export function unavailableError(description, database) {
  return {
    code: 'UNAVAILABLE',
    message: `target: ${database}.-.primary: no healthy tablet available for 'keyspace:"${database}" shard:"-" tablet_type:PRIMARY' (${description})`,
  };
}

/**
 * Statement kinds the simulator handles itself: transaction control must be seen to pin connections.
 * @param {string} sql
 * @returns {'begin' | 'commit' | 'rollback' | 'other'}
 */
export function statementKind(sql) {
  const text = sql
    .replace(/^(\s|\/\*(?!!)[\s\S]*?\*\/|(--|#)[^\n]*\n?)*/, '')
    .replace(/[\s;]+$/, '')
    .toLowerCase();
  if (/^(begin(\s+work)?|start\s+transaction\b.*)$/s.test(text)) return 'begin';
  if (/^commit(\s+work)?$/.test(text)) return 'commit';
  if (/^rollback(\s+work)?$/.test(text)) return 'rollback';
  return 'other';
}
