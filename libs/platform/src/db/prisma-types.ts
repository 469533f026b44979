import type { Prisma, PrismaClient } from '@edgefleet/db';

/** Either the client or the client of an open transaction, so repository methods compose into one transaction. */
export type Db = PrismaClient | Prisma.TransactionClient;

/** Prisma's "unique constraint failed" (P2002), which a repository turns into a ConflictError. */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'P2002';
}

/** Prisma's "record to update/delete not found" (P2025). */
export function isRecordNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'P2025';
}
