import { defineConfig } from 'drizzle-kit';

// Only `drizzle-kit generate` is used (push/pull crash on MariaDB). `npm run db:migrate` (tools/migrate.mjs)
// applies the migrations with drizzle's migrator and journal, locally and against PlanetScale (see README).
export default defineConfig({
  dialect: 'mysql',
  schema: './src/db/schema/index.ts',
  out: './drizzle',
});
