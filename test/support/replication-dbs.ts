// Scratch databases for replication tests: a MariaDB database (`repl_<random>`) on 127.0.0.1:3306
// and a PostgreSQL scratch database, each dropped by the test that made it.
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';

export const MYSQL = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };

export async function mysqlReachable(): Promise<boolean> {
  try {
    const conn = await mysql.createConnection({ ...MYSQL, connectTimeout: 3000 });
    await conn.end();
    return true;
  } catch {
    return false;
  }
}

export interface MysqlScratch {
  conn: mysql.Connection;
  name: string;
  drop(): Promise<void>;
}

/** A database of our own on the MariaDB server (the connection has it as its default). */
export async function createMysqlScratch(prefix = 'repl'): Promise<MysqlScratch> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const conn = await mysql.createConnection({
    ...MYSQL,
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
  await conn.query(`CREATE DATABASE \`${name}\``);
  await conn.query(`USE \`${name}\``);
  return {
    conn,
    name,
    async drop() {
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await conn.end();
    },
  };
}

/** Rows of a MariaDB table, ordered by `id`, values as text. */
export async function mysqlRows(conn: mysql.Connection, table: string): Promise<Record<string, unknown>[]> {
  const [rows] = await conn.query<mysql.RowDataPacket[]>(`SELECT * FROM ${table} ORDER BY id`);
  return rows.map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : String(v)])),
  );
}
