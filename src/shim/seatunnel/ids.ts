// SeaTunnel job ids are Java longs, written as JSON strings in most answers. A SeaTunnel job is a
// jobgate job named `seatunnel-<id>` whose runs are the job's attempts (a resubmission with the same
// id, e.g. isStartWithSavePoint, is a new run of the same job), so an id is looked up by name, is
// stable, and needs no column of its own. The client's chosen id (?jobId=) is used as it is; without
// one an id is made the way Zeta's flake ids are: milliseconds since 2018 shifted left 22 bits plus
// random low bits.
import { randomInt } from 'node:crypto';
import { badRequest } from './respond.ts';

const JOB_PREFIX = 'seatunnel-';
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
const FLAKE_EPOCH = Date.UTC(2018, 0, 1);

/** Long.valueOf: an optional sign and decimal digits within 64 bits, or Java's NumberFormatException
 * (an IllegalArgumentException, so a 400). Answers the id's canonical digits. */
export function parseJobId(value: string): string {
  if (/^[+-]?\d{1,19}$/.test(value)) {
    const id = BigInt(value);
    if (id >= LONG_MIN && id <= LONG_MAX) return id.toString();
  }
  throw badRequest(`For input string: "${value}"`);
}

/** A fresh job id (positive, below 2^63). */
export function newJobId(): string {
  const millis = BigInt(Date.now() - FLAKE_EPOCH);
  return ((millis << 22n) | BigInt(randomInt(1 << 22))).toString();
}

export const jobNameOf = (id: string) => `${JOB_PREFIX}${id}`;

/** The SeaTunnel id of a jobgate job, or undefined when the job is not a SeaTunnel job. */
export function jobIdOfName(name: string): string | undefined {
  const match = /^seatunnel-(-?\d{1,19})$/.exec(name);
  return match ? match[1] : undefined;
}

/** What `jobs(name:)` filters on to find SeaTunnel jobs (a substring; jobIdOfName decides). */
export const JOB_NAME_FILTER = JOB_PREFIX;
