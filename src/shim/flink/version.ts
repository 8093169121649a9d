// The Flink release whose REST API this dialect speaks (ref/flink/ENDPOINTS.md: Flink 1.20).
import { VERSION } from '../../lib/version.ts';

/** What `flink-version` says: clients compare it with the API they were written for. */
export const FLINK_VERSION = '1.20.0';
/** What `flink-commit` / `flink-revision` say: the jobgate build answering. */
export const FLINK_REVISION = `jobgate-${VERSION}`;
