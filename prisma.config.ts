// Read by the Prisma CLI only (`prisma generate`, and `prisma migrate deploy|status|resolve` for users who
// can download Prisma's native engine); the app itself migrates with libs/db (npm run db:migrate).
// Prisma 7 takes the migration commands' connection URL from here, not from schema.prisma.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL },
});
