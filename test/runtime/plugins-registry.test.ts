import { describe, expect, it } from 'vitest';
import {
  findSink,
  findSource,
  findTransform,
  sinkPlugins,
  sourcePlugins,
  transformPlugins,
} from '../../src/runtime/plugins/index.ts';
import { PluginConfigError } from '../../src/runtime/plugins/types.ts';
import { optionValue, readStringMap } from '../../src/runtime/plugins/options.ts';

describe('plugin registry', () => {
  it('finds the built-in plugins by SeaTunnel name, case-insensitively', () => {
    expect([...sourcePlugins.values()].map((p) => p.name)).toEqual(['FakeSource', 'Jdbc', 'LocalFile']);
    expect([...transformPlugins.values()].map((p) => p.name)).toEqual([
      'FieldMapper',
      'Filter',
      'Replace',
      'Copy',
    ]);
    expect([...sinkPlugins.values()].map((p) => p.name)).toEqual([
      'Console',
      'Jdbc',
      'LocalFile',
      'Assert',
      'Blackhole',
    ]);
    expect(findSource('jdbc')).toBe(findSource('Jdbc'));
    expect(findSource('FAKESOURCE')?.name).toBe('FakeSource');
    expect(findSink('jdbc')?.exactlyOnce).toBe(true);
    expect(findSink('console')?.exactlyOnce).toBe(false);
    expect(findTransform('fieldmapper')?.name).toBe('FieldMapper');
    expect(findSource('Kafka')).toBeUndefined();
    expect(findTransform('Sql')).toBeUndefined();
    expect(findSink('Jdbc ')).toBeUndefined();
  });

  it('names the missing option of each plugin that needs one', () => {
    const firstError = (validate: (o: Record<string, unknown>) => void) => {
      try {
        validate({});
      } catch (err) {
        expect(err).toBeInstanceOf(PluginConfigError);
        return (err as PluginConfigError).path;
      }
      return undefined;
    };
    expect(firstError((o) => findSource('Jdbc')!.validate(o))).toBe('url');
    expect(firstError((o) => findSource('LocalFile')!.validate(o))).toBe('path');
    expect(firstError((o) => findSink('Jdbc')!.validate(o))).toBe('url');
    expect(firstError((o) => findSink('LocalFile')!.validate(o))).toBe('path');
    expect(firstError((o) => findSink('Assert')!.validate(o))).toBe('rules');
    expect(firstError((o) => findTransform('Replace')!.validate(o))).toBe('replace_field');
    expect(firstError((o) => findSource('FakeSource')!.validate(o))).toBeUndefined();
    expect(firstError((o) => findSink('Console')!.validate(o))).toBeUndefined();
  });
});

describe('option reading', () => {
  it('treats flat dotted keys and nested objects alike', () => {
    expect(optionValue({ 'a.b.c': 1 }, 'a.b.c')).toBe(1);
    expect(optionValue({ a: { b: { c: 2 } } }, 'a.b.c')).toBe(2);
    expect(optionValue({ 'a.b': { c: 3 } }, 'a.b.c')).toBe(3);
    expect(optionValue({ a: { 'b.c': 4 } }, 'a.b.c')).toBe(4);
    expect(optionValue({ a: { b: 1 } }, 'a.c')).toBeUndefined();
    expect([...readStringMap({ m: { x: 'y' }, 'm.z': 'w' }, 'm')!]).toEqual([
      ['x', 'y'],
      ['z', 'w'],
    ]);
  });
});
