import { defineConfig } from 'drizzle-kit';

// Only `drizzle-kit generate` is used (push/pull crash on MariaDB); migrations are applied by tools/db.mjs
// locally and by `npm run db:migrate` against PlanetScale (see README).
export default defineConfig({
  dialect: 'mysql',
  schema: './src/db/schema.ts',
  out: './drizzle',
});
