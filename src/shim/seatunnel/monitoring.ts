// Zeta's system-monitoring-information: one object per member, every value a string, sizes as
// Hazelcast's MemoryStats writes them ("16.0G", "135.7M"), ratios as "23.54%". jobgate answers for
// the gateway process that serves the request and its machine: real numbers from Node's process,
// V8's heap and the OS (Linux /proc where it has them). Hazelcast's internal queue gauges have no
// counterpart in jobgate and are left out.
import { readFileSync } from 'node:fs';
import { availableParallelism, freemem, loadavg, totalmem } from 'node:os';
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { RouteCall } from '../core/index.ts';
import { seatunnelJson } from './respond.ts';

/** `bytes` as MemoryStats writes it: one decimal and a unit. */
export function sizeText(bytes: number): string {
  const units: [number, string][] = [
    [2 ** 40, 'T'],
    [2 ** 30, 'G'],
    [2 ** 20, 'M'],
    [2 ** 10, 'K'],
  ];
  for (const [size, unit] of units) if (bytes >= size) return `${(bytes / size).toFixed(1)}${unit}`;
  return String(bytes);
}

const percent = (ratio: number) => `${(Number.isFinite(ratio) ? ratio * 100 : 0).toFixed(2)}%`;

/** Garbage collections seen since the first request: minor (scavenges) and major (the rest). The
 * observer is process-wide state about the process itself, not request data. */
const gc = { minorCount: 0, minorMs: 0, majorCount: 0, majorMs: 0 };
let gcObserver: PerformanceObserver | undefined;

function observeGc(): void {
  if (gcObserver) return;
  gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        gc.minorCount++;
        gc.minorMs += entry.duration;
      } else {
        gc.majorCount++;
        gc.majorMs += entry.duration;
      }
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
}

/** Process CPU since the previous request (since start at the first), over all cores. */
let lastCpu = { usage: process.cpuUsage(), at: process.hrtime.bigint() };
function processLoad(cores: number): number {
  const now = { usage: process.cpuUsage(), at: process.hrtime.bigint() };
  const usedMicros = now.usage.user - lastCpu.usage.user + (now.usage.system - lastCpu.usage.system);
  const elapsedMicros = Number(now.at - lastCpu.at) / 1000;
  lastCpu = now;
  return elapsedMicros > 0 ? usedMicros / elapsedMicros / cores : 0;
}

/** Fields of /proc files (kB values in bytes), empty where there is no /proc. */
function procFields(path: string): Record<string, number> {
  try {
    const out: Record<string, number> = {};
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      const match = /^([\w()]+):\s+(\d+)(\s+kB)?/.exec(line);
      if (match) out[match[1]!] = Number(match[2]) * (match[3] ? 1024 : 1);
    }
    return out;
  } catch {
    return {};
  }
}

let peakThreads = 0;

/** GET /system-monitoring-information. */
export function getSystemMonitoring({ url }: RouteCall): Response {
  observeGc();
  const cores = availableParallelism();
  const heap = getHeapStatistics();
  const used = heap.used_heap_size;
  const total = heap.total_heap_size;
  const max = heap.heap_size_limit;
  const meminfo = procFields('/proc/meminfo');
  const threads = procFields('/proc/self/status').Threads ?? 1;
  peakThreads = Math.max(peakThreads, threads);
  const [load1] = loadavg();
  return seatunnelJson([
    {
      processors: String(cores),
      'physical.memory.total': sizeText(totalmem()),
      'physical.memory.free': sizeText(freemem()),
      'swap.space.total': sizeText(meminfo.SwapTotal ?? 0),
      'swap.space.free': sizeText(meminfo.SwapFree ?? 0),
      'heap.memory.used': sizeText(used),
      'heap.memory.free': sizeText(total - used),
      'heap.memory.total': sizeText(total),
      'heap.memory.max': sizeText(max),
      'heap.memory.used/total': percent(used / total),
      'heap.memory.used/max': percent(used / max),
      'minor.gc.count': String(gc.minorCount),
      'minor.gc.time': `${Math.round(gc.minorMs)}ms`,
      'major.gc.count': String(gc.majorCount),
      'major.gc.time': `${Math.round(gc.majorMs)}ms`,
      'load.process': percent(processLoad(cores)),
      'load.system': percent(Math.min(1, (load1 ?? 0) / cores)),
      'load.systemAverage': (load1 ?? 0).toFixed(2),
      'thread.count': String(threads),
      'thread.peakCount': String(peakThreads),
      'cluster.timeDiff': '0',
      isMaster: 'true',
      host: url.hostname,
      port: url.port || (url.protocol === 'https:' ? '443' : '80'),
    },
  ]);
}
