// Keeper's system endpoints: global settings, configuration reload, connections, PQL functions and
// global variables. jobgate has no PQL and reads its configuration once at start, so these change
// nothing and answer Keeper's fixed `1`; they are for admins only (connections are an admin's).
import type { Route, RouteCall } from '../core/index.ts';
import { firstOf, pathNumber, required } from './params.ts';
import { ACCESS_DENIED, AkkaText, KeeperRestError, keeperText } from './respond.ts';

/** A parameter by any of its spellings across versions; missing is akka's 404 naming the first. */
function requiredOf(url: URL, names: readonly string[]): string {
  const value = firstOf(url, names);
  if (value === undefined) throw new KeeperRestError(404, AkkaText.missingParameter(names[0]!));
  if (value.length > 1000) throw new KeeperRestError(400, AkkaText.malformedParameter(names[0]!, 'too long'));
  return value;
}

/** Answers `1` to an admin after `check` accepted the parameters; other roles get Keeper's refusal. */
function systemRoute(check: (call: RouteCall) => void) {
  return (call: RouteCall): Response => {
    check(call);
    if (call.ctx.viewer.role !== 'admin') return keeperText(ACCESS_DENIED);
    return keeperText('1');
  };
}

const none = () => undefined;
const setGlobal = systemRoute(({ url }) => {
  required(url, 'name');
  required(url, 'value');
});
const byId = systemRoute(({ params }) => void pathNumber(params.id));
const connectionName = systemRoute(({ url }) => void requiredOf(url, ['connectionName', 'connection_name']));
const functionName = systemRoute(({ url }) => void requiredOf(url, ['functionName', 'function_name']));
const variableName = systemRoute(({ url }) => void requiredOf(url, ['variableName', 'variable_name']));

export const SYSTEM_ROUTES: readonly Route[] = [
  { method: 'PUT', path: '/global/set', handler: setGlobal, doc: '§3 set a global (no effect), 1' },
  { method: 'PUT', path: '/configurations/reload', handler: systemRoute(none), doc: '§3 reload, 1' },
  {
    method: 'PUT',
    path: '/configuration/reload',
    handler: systemRoute(none),
    doc: '§3 the doc example path',
  },
  { method: 'PUT', path: '/connection/:id', handler: byId, doc: '§3 reload a connection (v1.6+)' },
  { method: 'PUT', path: '/connection/setup/:id', handler: byId, doc: '§3 reload a connection (v1.5)' },
  { method: 'PUT', path: '/connection/remove/:id', handler: byId, doc: '§3 remove a connection (doc)' },
  {
    method: 'PUT',
    path: '/connection/remove',
    handler: connectionName,
    doc: '§3 remove a connection (v1.5)',
  },
  { method: 'DELETE', path: '/connection', handler: connectionName, doc: '§3 remove a connection (v1.6+)' },
  { method: 'PUT', path: '/function', handler: functionName, doc: '§3 renew a function (v1.6+)' },
  { method: 'DELETE', path: '/function', handler: functionName, doc: '§3 remove a function (v1.6+)' },
  { method: 'PUT', path: '/function/renew', handler: functionName, doc: '§3 renew a function (v1.5)' },
  { method: 'PUT', path: '/function/remove', handler: functionName, doc: '§3 remove a function (v1.5)' },
  { method: 'PUT', path: '/variable', handler: variableName, doc: '§3 renew a variable (v1.6+)' },
  { method: 'DELETE', path: '/variable', handler: variableName, doc: '§3 remove a variable (v1.6+)' },
  { method: 'PUT', path: '/variable/renew', handler: variableName, doc: '§3 renew a variable (v1.5)' },
  { method: 'PUT', path: '/variable/remove', handler: variableName, doc: '§3 remove a variable (v1.5)' },
];
