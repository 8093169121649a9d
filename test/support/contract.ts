// The contract's operations, one at a time, read from ../shared/contract (beside the repo).
import { readFileSync } from 'node:fs';
import { parse, print, type OperationDefinitionNode } from 'graphql';

const CONTRACT = new URL('../../../shared/contract/operations.graphql', import.meta.url);

const operations = new Map<string, string>(
  parse(readFileSync(CONTRACT, 'utf8'))
    .definitions.filter((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition')
    .map((d) => [d.name?.value ?? '', print(d)]),
);

/** The text of one contract operation, by name (e.g. `Run`). */
export function contractOperation(name: string): string {
  const text = operations.get(name);
  if (!text) throw new Error(`the contract has no operation ${name}`);
  return text;
}
