import { pbkdf2Sync, randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';

// Same self-describing format and count as src/lib/password.ts (Django's pbkdf2_sha256); a unit test checks
// that the Worker verifies what this writes.
const ITERATIONS = 100_000;

/** @param {string} password */
export function hashPasswordForSeed(password) {
  const salt = randomBytes(16).toString('base64');
  const hash = pbkdf2Sync(password, salt, ITERATIONS, 32, 'sha256').toString('base64');
  return `pbkdf2_sha256$${ITERATIONS}$${salt}$${hash}`;
}

/**
 * Development only: makes sure the `admin` user exists, is an active ADMIN and has the configured password.
 * Never called by the Worker, so production never gets this user.
 * @param {string} mysqlUrl
 * @param {string} database
 * @param {string} password
 * @param {string} [username]
 */
export async function seedDevAdmin(mysqlUrl, database, password, username = 'admin') {
  const conn = await mysql.createConnection({ uri: mysqlUrl, database });
  try {
    await conn.execute(
      `INSERT INTO users (username, email, password_hash, role_management, is_active, is_staff)
       VALUES (?, ?, ?, 'ADMIN', 1, 1)
       ON DUPLICATE KEY UPDATE password_hash = VALUES(password_hash), role_management = 'ADMIN',
         is_active = 1, is_staff = 1`,
      [username, `${username}@stackpay.local`, hashPasswordForSeed(password)],
    );
  } finally {
    await conn.end();
  }
  return { username, password };
}
