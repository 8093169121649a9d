// The file-root check of a definition: every path a plugin option names must lie inside the file
// roots when the job is defined. The node checks again when it opens the file (its own roots, and
// the tree may have changed), so this is the early, clear refusal rather than the only one.
import { BadInputError } from '../../lib/errors.ts';
import { FileAccessError, type FileGuard } from '../files/file-guard.ts';
import { findSink, findSource } from '../plugins/index.ts';
import type { NormalizedDefinition } from './job-definition.ts';

export async function checkDefinitionPaths(
  definition: NormalizedDefinition,
  files: FileGuard,
  base: string,
): Promise<void> {
  if (definition.kind !== 'PIPELINE') return;
  const index = { SOURCE: 0, SINK: 0 };
  for (const vertex of definition.vertices) {
    if (vertex.kind !== 'SOURCE' && vertex.kind !== 'SINK') continue;
    const stage = vertex.kind === 'SOURCE' ? 'source' : 'sink';
    const at = `${base}.pipeline.${stage}[${index[vertex.kind]++}]`;
    const plugin = vertex.kind === 'SOURCE' ? findSource(vertex.plugin!) : findSink(vertex.plugin!);
    for (const { option, path } of plugin?.paths?.(vertex.config) ?? []) {
      try {
        await files.resolve(path, option);
      } catch (err) {
        if (!(err instanceof FileAccessError)) throw err;
        throw new BadInputError(`${at}.${err.message}`, { path: `${at}.${option}` });
      }
    }
  }
}
