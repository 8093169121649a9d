import { sql, type SQL } from 'drizzle-orm';
import { customType, timestamp, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { sqlLiteral } from '../../lib/status.ts';

/** A CHECK that keeps a text column to a fixed set of values (the unions in lib/status.ts). */
export function oneOf(column: AnyPgColumn, values: readonly string[]): SQL {
  return sql`${column} in ${sql.raw(sqlLiteral(values))}`;
}

/** Timestamps are stored with time zone and read as JS Dates. */
export const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
export const createdAt = () => at('created_at').notNull().defaultNow();

/** Binary content (uploaded artifacts); drizzle-orm has no built-in bytea column. */
export const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value)),
});
