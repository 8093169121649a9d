// Keeper's route table (ref/keeper/ENDPOINTS.md §3): the current (v2.8) paths plus the older
// spellings the seed and the docs use. An unknown path answers akka's 404, a known path asked with
// another method akka's 405.
import { createRouteTable, type Miss, type Route } from '../core/index.ts';
import { KILL_ROUTES } from './kills.ts';
import { LOG_ROUTES } from './logs.ts';
import { AkkaText, keeperText } from './respond.ts';
import { SYSTEM_ROUTES } from './system.ts';
import { TASK_ROUTES } from './tasks.ts';

function home(): Response {
  return new Response('<h1>Welcome to Qross Keeper!</h1>', {
    headers: { 'content-type': 'text/html; charset=UTF-8' },
  });
}

export const KEEPER_ROUTES: readonly Route[] = [
  { method: 'GET', path: '/', handler: home, doc: '§0 home' },
  ...TASK_ROUTES,
  ...LOG_ROUTES,
  ...KILL_ROUTES,
  ...SYSTEM_ROUTES,
];

export const keeperRouteTable = createRouteTable(KEEPER_ROUTES, {
  notFound: (_miss: Miss) => keeperText(AkkaText.notFound, 404),
  methodNotAllowed: (_miss: Miss, allowed) => keeperText(AkkaText.methodNotAllowed(allowed), 405),
});
