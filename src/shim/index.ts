// The REST dialects jobgate serves, each under src/shim/<name>/ on the framework of src/shim/core.
import type { Dialect } from './core/index.ts';
import { dkronDialect } from './dkron/index.ts';
import { flinkDialect } from './flink/index.ts';
import { keeperDialect } from './keeper/index.ts';
import { nomadDialect } from './nomad/index.ts';
import { seatunnelDialect } from './seatunnel/index.ts';

/** Every registered dialect; the server mounts each under /compat/<name>/ and on its own port. */
export const DIALECTS: readonly Dialect[] = [
  flinkDialect,
  seatunnelDialect,
  dkronDialect,
  nomadDialect,
  keeperDialect,
];
