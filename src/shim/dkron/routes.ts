// Dkron's route table (ref/dkron/ENDPOINTS.md §1, from api.go APIRoutes). Any other path or method
// answers gin's `404 page not found` (gin does not answer 405 unless configured to).
import { createRouteTable, type Miss, type Route } from '../core/index.ts';
import { health, isLeader, leader, leave, members, pause, pauseStatus, status, unpause } from './cluster.ts';
import { busy, clearExecutions, listExecutions, showExecution } from './executions.ts';
import { deleteJob, listJobs, runJob, showJob, toggleJob, upsertJob } from './jobs.ts';
import { dkronText } from './respond.ts';
import { restore } from './restore.ts';

const JOB = '/v1/jobs/:job';

export const DKRON_ROUTES: readonly Route[] = [
  { method: 'GET', path: '/health', handler: health, doc: 'non-/v1 extra: {"status":"healthy"}' },
  { method: 'GET', path: '/v1', handler: status, doc: 'status object' },
  { method: 'GET', path: '/v1/', handler: status, doc: 'status object' },
  { method: 'GET', path: '/v1/members', handler: members, doc: 'serf members' },
  { method: 'GET', path: '/v1/leader', handler: leader, doc: 'leader member' },
  { method: 'GET', path: '/v1/isleader', handler: isLeader, doc: '"I am a leader" or 404 "I am a follower"' },
  { method: 'POST', path: '/v1/leave', handler: leave, doc: 'the members; stops nothing (no serf)' },
  { method: 'POST', path: '/v1/restore', handler: restore, doc: 'multipart `file`: JSON array of jobs' },
  { method: 'GET', path: '/v1/busy', handler: busy, doc: 'running executions' },
  { method: 'GET', path: '/v1/pause', handler: pauseStatus, doc: '{"paused": bool}' },
  { method: 'POST', path: '/v1/pause', handler: pause, doc: '{"paused": true} (admin)' },
  { method: 'POST', path: '/v1/unpause', handler: unpause, doc: '{"paused": false} (admin)' },
  { method: 'GET', path: '/v1/jobs', handler: listJobs, doc: 'list' },
  { method: 'POST', path: '/v1/jobs', handler: upsertJob, doc: 'create or update, 201' },
  { method: 'PATCH', path: '/v1/jobs', handler: upsertJob, doc: 'create or update, 201' },
  { method: 'PUT', path: JOB, handler: upsertJob, doc: 'create or update; path name ignored' },
  { method: 'GET', path: JOB, handler: showJob, doc: 'show' },
  { method: 'DELETE', path: JOB, handler: deleteJob, doc: 'delete, returns the job' },
  { method: 'POST', path: JOB, handler: runJob, doc: 'run now (200 on the wire)' },
  { method: 'POST', path: `${JOB}/run`, handler: runJob, doc: 'run now (200 on the wire)' },
  { method: 'POST', path: `${JOB}/toggle`, handler: toggleJob, doc: 'flip disabled' },
  { method: 'GET', path: `${JOB}/executions`, handler: listExecutions, doc: 'executions, newest first' },
  { method: 'DELETE', path: `${JOB}/executions`, handler: clearExecutions, doc: 'clear executions' },
  { method: 'GET', path: `${JOB}/executions/:execution`, handler: showExecution, doc: 'one execution' },
];

function notFound(_miss: Miss): Response {
  return dkronText(404, '404 page not found');
}

export const dkronRouteTable = createRouteTable(DKRON_ROUTES, { notFound });
