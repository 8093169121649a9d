import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { printJobgateSchema } from '../../src/graphql/schema.ts';

it('schema/schema.graphql is the printed schema (run `npm run schema:print` after changing types)', () => {
  const committed = readFileSync(new URL('../../schema/schema.graphql', import.meta.url), 'utf8');
  expect(printJobgateSchema()).toBe(committed);
});
