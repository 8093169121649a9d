// Column types across server kinds, for tables the full stage creates at a destination of the other
// kind. Types with no close match become text (values arrive as text and stay exact).

/** A PostgreSQL type for a MySQL/MariaDB COLUMN_TYPE. */
export function postgresTypeFor(mysqlType: string): string {
  const t = mysqlType.toLowerCase();
  const base = t
    .replace(/\(.*$/, '')
    .replace(/ unsigned| zerofill/g, '')
    .trim();
  const args = /\(([^)]*)\)/.exec(t)?.[1];
  const unsigned = t.includes('unsigned');
  switch (base) {
    case 'tinyint':
      return args === '1' ? 'smallint' : 'smallint';
    case 'smallint':
      return unsigned ? 'integer' : 'smallint';
    case 'mediumint':
      return 'integer';
    case 'int':
    case 'integer':
      return unsigned ? 'bigint' : 'integer';
    case 'bigint':
      return unsigned ? 'numeric(20)' : 'bigint';
    case 'decimal':
    case 'numeric':
      return args ? `numeric(${args})` : 'numeric';
    case 'float':
      return 'real';
    case 'double':
    case 'real':
      return 'double precision';
    case 'bit':
      return 'bigint';
    case 'char':
      return args ? `char(${args})` : 'char(1)';
    case 'varchar':
      return args ? `varchar(${args})` : 'text';
    case 'date':
      return 'date';
    case 'datetime':
    case 'timestamp':
      return args ? `timestamp(${args})` : 'timestamp';
    case 'time':
      return 'time';
    case 'year':
      return 'smallint';
    case 'json':
      return 'jsonb';
    case 'binary':
    case 'varbinary':
    case 'tinyblob':
    case 'blob':
    case 'mediumblob':
    case 'longblob':
      return 'bytea';
    default:
      return 'text';
  }
}

/** A MySQL/MariaDB type for a PostgreSQL format_type(). */
export function mysqlTypeFor(postgresType: string): string {
  const t = postgresType.toLowerCase();
  const args = /\(([^)]*)\)/.exec(t)?.[1];
  if (t === 'smallint') return 'smallint';
  if (t === 'integer') return 'int';
  if (t === 'bigint') return 'bigint';
  if (t.startsWith('numeric')) return args ? `decimal(${args})` : 'decimal(65,30)';
  if (t === 'real') return 'float';
  if (t === 'double precision') return 'double';
  if (t === 'boolean') return 'tinyint(1)';
  if (t.startsWith('character varying')) return args ? `varchar(${args})` : 'longtext';
  if (t.startsWith('character')) return args ? `char(${args})` : 'char(1)';
  if (t === 'date') return 'date';
  if (t.startsWith('timestamp')) return args ? `datetime(${args})` : 'datetime(6)';
  if (t.startsWith('time')) return 'time(6)';
  if (t === 'jsonb' || t === 'json') return 'json';
  if (t === 'bytea') return 'longblob';
  return 'longtext';
}
