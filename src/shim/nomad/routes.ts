// Nomad's route table (ENDPOINTS.md, Nomad 1.1 as dtle pins it): every route under /v1. A path no
// route takes is Go's `404 page not found`; a known path asked with another method is 405
// `Invalid method` (PUT and POST are the same write, as Nomad's handlers switch on both).
import { createRouteTable, type Route } from '../core/index.ts';
import { jobAllocations, jobEvaluations, listJobs, readAllocation, readJob } from './job-routes.ts';
import { listNodes, readNode } from './node-routes.ts';
import { NomadMessage, nomadText } from './respond.ts';
import { deregisterJob, registerJob, registerJobs } from './write-routes.ts';

export const NOMAD_ROUTES: readonly Route[] = [
  { method: 'GET', path: '/jobs', handler: listJobs, doc: '§1: list jobs (blocking)' },
  { method: 'POST', path: '/jobs', handler: registerJobs, doc: '§2: register a job' },
  { method: 'PUT', path: '/jobs', handler: registerJobs, doc: '§2: register a job' },
  { method: 'GET', path: '/job/:id', handler: readJob, doc: '§3: read a job (blocking)' },
  { method: 'POST', path: '/job/:id', handler: registerJob, doc: '§2: register (update) a job' },
  { method: 'PUT', path: '/job/:id', handler: registerJob, doc: '§2: register (update) a job' },
  { method: 'DELETE', path: '/job/:id', handler: deregisterJob, doc: '§4: stop a job (?purge=true)' },
  {
    method: 'GET',
    path: '/job/:id/allocations',
    handler: jobAllocations,
    doc: '§5: job allocations (blocking)',
  },
  {
    method: 'GET',
    path: '/job/:id/evaluations',
    handler: jobEvaluations,
    doc: '§9: job evaluations (blocking)',
  },
  {
    method: 'GET',
    path: '/allocation/:id',
    handler: readAllocation,
    doc: '§6: read an allocation (blocking)',
  },
  { method: 'GET', path: '/nodes', handler: listNodes, doc: '§7: list nodes (blocking)' },
  { method: 'GET', path: '/node/:id', handler: readNode, doc: '§8: read a node (blocking)' },
];

export const nomadRouteTable = createRouteTable(NOMAD_ROUTES, {
  prefixes: ['/v1'],
  notFound: () => nomadText(404, NomadMessage.pageNotFound),
  methodNotAllowed: () => nomadText(405, NomadMessage.invalidMethod),
});
