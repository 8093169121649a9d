// The shim framework every dialect is built on: the Dialect seam the server mounts, and route tables.
export type {
  Dialect,
  DialectContext,
  DialectExecute,
  DialectOperation,
  DialectRefusal,
  TypedDocument,
} from './dialect.ts';
export { createRouteTable } from './route-table.ts';
export type { Miss, Route, RouteCall, RouteHandler, RouteTable, RouteTableOptions } from './route-table.ts';
export { httpStatusOf, queryData } from './query.ts';
