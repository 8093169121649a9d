import { GraphQLError, Kind, type ValueNode } from 'graphql';
import { isoTimestamp } from '../../lib/iso-timestamp.ts';
import { builder } from '../builder.ts';

/** ISO-8601 timestamps. The database drivers hand back Dates or timestamp strings; both serialize. */
builder.scalarType('DateTime', {
  description: 'An ISO-8601 timestamp, e.g. 2026-11-21T13:00:00.000Z',
  serialize: (value) => {
    const date = value instanceof Date ? value : new Date(normalizePgTimestamp(String(value)));
    if (Number.isNaN(date.getTime())) throw new GraphQLError(`DateTime cannot represent ${String(value)}`);
    return isoTimestamp(date);
  },
  parseValue: (value) => parseDate(value),
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be an ISO-8601 string');
    return parseDate(ast.value);
  },
});

function parseDate(value: unknown): Date {
  const date = typeof value === 'string' ? new Date(value) : new Date(NaN);
  if (Number.isNaN(date.getTime()))
    throw new GraphQLError(`not an ISO-8601 timestamp: ${JSON.stringify(value)}`);
  return date;
}

/** Postgres prints `2026-11-21 13:03:46.43+00`; Date wants a `T` and a full offset. */
function normalizePgTimestamp(text: string): string {
  return text.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00');
}

builder.scalarType('JSON', {
  description: 'Any JSON value',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: (ast) => literalToJson(ast),
});

function literalToJson(ast: ValueNode): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map(literalToJson);
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literalToJson(f.value)]));
    default:
      throw new GraphQLError(
        'JSON literals cannot contain variables here; pass the whole value as a variable',
      );
  }
}
