// Zeta's v1 REST routes (Hazelcast member REST, port 5801), each served under /hazelcast/rest/maps
// (RestConstant.CONTEXT_PATH) with the ENDPOINTS.md section it answers. A path no route takes
// answers as Hazelcast's text protocol does: a bare 404.
import { createRouteTable, type Route } from '../core/index.ts';
import { postEncryptConfig } from './encrypt.ts';
import { getFinishedJobs, getJobInfo, getOverview, getRunningJobs } from './jobs.ts';
import { getLogFile, getLogs } from './logs.ts';
import { getSystemMonitoring } from './monitoring.ts';
import { stopJob, stopJobs } from './stop.ts';
import { submitJob, submitJobs } from './submit.ts';
import { postUpdateTags } from './tags.ts';
import { getThreadDump } from './thread-dump.ts';

export const SEATUNNEL_PREFIX = '/hazelcast/rest/maps';

export const SEATUNNEL_ROUTES: readonly Route[] = [
  { method: 'GET', path: '/overview', handler: getOverview, doc: '§3 overview, tag filters' },
  { method: 'GET', path: '/running-jobs', handler: getRunningJobs, doc: '§3 running-jobs' },
  { method: 'GET', path: '/job-info/:jobId', handler: getJobInfo, doc: '§3 job-info' },
  {
    method: 'GET',
    path: '/running-job/:jobId',
    handler: getJobInfo,
    doc: '§3 running-job (deprecated alias)',
  },
  { method: 'GET', path: '/finished-jobs', handler: getFinishedJobs, doc: '§3 finished-jobs, all states' },
  { method: 'GET', path: '/finished-jobs/:state', handler: getFinishedJobs, doc: '§3 finished-jobs/:state' },
  {
    method: 'GET',
    path: '/system-monitoring-information',
    handler: getSystemMonitoring,
    doc: '§3 system-monitoring-information',
  },
  {
    method: 'GET',
    path: '/thread-dump',
    handler: getThreadDump,
    doc: '§3 thread-dump: this process’s threads',
  },
  { method: 'POST', path: '/submit-job', handler: submitJob, doc: '§3 submit-job' },
  { method: 'POST', path: '/submit-jobs', handler: submitJobs, doc: '§3 submit-jobs' },
  { method: 'POST', path: '/stop-job', handler: stopJob, doc: '§3 stop-job' },
  { method: 'POST', path: '/stop-jobs', handler: stopJobs, doc: '§3 stop-jobs' },
  { method: 'GET', path: '/logs', handler: getLogs, doc: '§3 logs: the log files (html, format=json)' },
  { method: 'GET', path: '/logs/:name', handler: getLogFile, doc: '§3 logs/<jobId> and logs/<file>.log' },
  { method: 'GET', path: '/log', handler: getLogs, doc: '§3 log: this node’s log files' },
  { method: 'GET', path: '/log/:name', handler: getLogFile, doc: '§3 log/<file>.log' },
  { method: 'POST', path: '/encrypt-config', handler: postEncryptConfig, doc: '§3 encrypt-config' },
  {
    method: 'POST',
    path: '/update-tags',
    handler: postUpdateTags,
    doc: '§3 update-tags: the tags of the node this gateway hosts',
  },
];

const notFound = () => new Response(null, { status: 404 });

export const seatunnelRouteTable = createRouteTable(SEATUNNEL_ROUTES, {
  prefixes: [SEATUNNEL_PREFIX],
  notFound,
});
