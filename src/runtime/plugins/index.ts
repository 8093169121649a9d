/**
 * The built-in plugins by name. Names match case-insensitively, as SeaTunnel's plugin discovery does
 * (`Jdbc`, `jdbc` and `JDBC` are one plugin); the maps are keyed by the lower-case name.
 */
import type { SinkPlugin, SourcePlugin, TransformPlugin } from './types.ts';
import { fakeSource } from './fake-source.ts';
import { jdbcSource } from './jdbc-source.ts';
import { localFileSource } from './local-file-source.ts';
import { fieldMapper } from './field-mapper.ts';
import { filter } from './filter.ts';
import { replace } from './replace.ts';
import { copy } from './copy.ts';
import { consoleSink } from './console-sink.ts';
import { jdbcSink } from './jdbc-sink.ts';
import { localFileSink } from './local-file-sink.ts';
import { assertSink } from './assert-sink.ts';
import { blackholeSink } from './blackhole-sink.ts';

function byLowerCaseName<T extends { name: string }>(plugins: T[]): ReadonlyMap<string, T> {
  return new Map(plugins.map((p) => [p.name.toLowerCase(), p]));
}

export const sourcePlugins = byLowerCaseName<SourcePlugin>([fakeSource, jdbcSource, localFileSource]);
export const transformPlugins = byLowerCaseName<TransformPlugin>([fieldMapper, filter, replace, copy]);
export const sinkPlugins = byLowerCaseName<SinkPlugin>([
  consoleSink,
  jdbcSink,
  localFileSink,
  assertSink,
  blackholeSink,
]);

export function findSource(name: string): SourcePlugin | undefined {
  return sourcePlugins.get(name.toLowerCase());
}

export function findTransform(name: string): TransformPlugin | undefined {
  return transformPlugins.get(name.toLowerCase());
}

export function findSink(name: string): SinkPlugin | undefined {
  return sinkPlugins.get(name.toLowerCase());
}

export * from './types.ts';
