// How many splits a source has in a run. At a first start the plugin plans them (split.num, the
// files found, by default the parallelism). On a restore they are the splits of the restored state,
// whatever the parallelism is now: which rows a split holds depends on how many splits there are,
// so planning them again for a new parallelism would read rows twice (Flink's key groups and
// SeaTunnel's splits are fixed at the first start in the same way). A subtask with no split left to
// own simply ends.
import { PluginRuntimeError, type SourcePlugin, type SplitPosition } from './types.ts';

/** The split count of a restored source state: its split ids must be exactly 0..n-1. */
export function restoredSplitCount(source: string, saved: Record<number, SplitPosition>): number {
  const ids = Object.keys(saved).map(Number);
  const count = ids.length;
  if (ids.some((id) => !Number.isInteger(id) || id < 0 || id >= count)) {
    throw new PluginRuntimeError(
      `source ${source}: the restored state holds splits ${ids.sort((a, b) => a - b).join(', ')}, not 0..${count - 1}`,
    );
  }
  return count;
}

export async function sourceSplitCount(
  plugin: SourcePlugin,
  source: string,
  options: Record<string, unknown>,
  parallelism: number,
  saved: Record<number, SplitPosition> | undefined,
  ctx: Parameters<SourcePlugin['splitCount']>[2],
): Promise<number> {
  if (!saved || Object.keys(saved).length === 0) return plugin.splitCount(options, parallelism, ctx);
  const count = restoredSplitCount(source, saved);
  // What the options plan when the parallelism is not what decides (an explicit split.num, the
  // files found) must agree with the saved splits, or the restore cannot be honoured.
  const planned = await plugin.splitCount(options, count, ctx);
  if (planned !== count) {
    throw new PluginRuntimeError(
      `source ${source}: the restored state has ${count} split(s) but the source's options now give ${planned}; a restore keeps the splits it was saved with (set split.num back to ${count}, or start without restoring)`,
    );
  }
  return count;
}
