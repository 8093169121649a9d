import { MetricScopeEnum } from './enums.ts';
import { MetricRef } from './refs.ts';

MetricRef.implement({
  description: 'The current value of a metric in one scope (cluster, node, run, vertex or subtask).',
  fields: (t) => ({
    name: t.exposeString('name'),
    scope: t.field({ type: MetricScopeEnum, resolve: (m) => m.scope }),
    value: t.exposeFloat('value'),
    at: t.field({ type: 'DateTime', resolve: (m) => m.at }),
    subtaskIndex: t.exposeInt('subtaskIndex', { nullable: true }),
  }),
});
