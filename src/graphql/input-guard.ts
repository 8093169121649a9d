// One guard for every string a client sends: before any resolver runs, the arguments of the
// operation (literals and the variables they use, JSON scalars included) are walked, and a NUL
// character, a lone surrogate, an over-long string or an over-deep value is refused as
// BAD_USER_INPUT naming the argument. Postgres cannot store NUL in text or jsonb and refuses
// malformed UTF-16, so without this each one reached the database and came back as an internal error.
import { GraphQLError, Kind, visit, type DocumentNode, type ValueNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { MAX_ARTIFACT_BYTES } from '../runtime/index.ts';

/** The longest string any argument may hold (a shell command's limit); fields have tighter ones. */
export const MAX_ARGUMENT_STRING = 65_536;
/** How deep a JSON argument may nest, and how many values all arguments may hold together. */
export const MAX_ARGUMENT_DEPTH = 32;
export const MAX_ARGUMENT_VALUES = 100_000;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The one argument allowed past MAX_ARGUMENT_STRING: an artifact upload's base64 content (its
 * field checks its own bound, and the request body limits still apply). */
const LONG_ARGUMENTS: ReadonlyMap<string, number> = new Map([
  ['input.contentBase64', Math.ceil(MAX_ARTIFACT_BYTES / 3) * 4],
]);

/** What is wrong with a string, if anything (never echoing it). */
export function stringProblem(value: string, maxLength = MAX_ARGUMENT_STRING): string | undefined {
  if (value.length > maxLength) {
    return `is ${value.length} characters long; at most ${maxLength} are accepted`;
  }
  if (value.includes('\u0000')) return 'contains a NUL character (\\u0000), which cannot be stored';
  if (LONE_SURROGATE.test(value)) return 'contains a lone UTF-16 surrogate (not valid Unicode)';
  return undefined;
}

interface Problem {
  path: string;
  message: string;
}

type Item =
  { value: unknown; path: string; depth: number } | { node: ValueNode; path: string; depth: number };

/** A document's arguments and its variables' defaults: what the walk starts from. */
interface Arguments {
  items: readonly Item[];
  defaults: ReadonlyMap<string, ValueNode>;
}

function documentArguments(document: DocumentNode): Arguments {
  const items: Item[] = [];
  const defaults = new Map<string, ValueNode>();
  visit(document, {
    VariableDefinition(node) {
      if (node.defaultValue) defaults.set(node.variable.name.value, node.defaultValue);
    },
    Argument(node) {
      items.push({ node: node.value, path: node.name.value, depth: 0 });
    },
  });
  return { items, defaults };
}

/** Walks argument values (AST literals, and the variables they refer to) without recursion. */
function firstProblem(
  { items, defaults }: Arguments,
  variables: Record<string, unknown> | null | undefined,
): Problem | undefined {
  const stack: Item[] = [...items];
  let seen = 0;
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (++seen > MAX_ARGUMENT_VALUES) {
      return { path: item.path, message: `the arguments hold over ${MAX_ARGUMENT_VALUES} values` };
    }
    if (item.depth > MAX_ARGUMENT_DEPTH) {
      return { path: item.path, message: `nests deeper than ${MAX_ARGUMENT_DEPTH} levels` };
    }
    const depth = item.depth + 1;
    if ('node' in item) {
      const node = item.node;
      if (node.kind === Kind.STRING || node.kind === Kind.ENUM) {
        const message = stringProblem(node.value, LONG_ARGUMENTS.get(item.path));
        if (message) return { path: item.path, message };
      } else if (node.kind === Kind.LIST) {
        node.values.forEach((v, i) => stack.push({ node: v, path: `${item.path}[${i}]`, depth }));
      } else if (node.kind === Kind.OBJECT) {
        for (const f of node.fields) {
          const message = stringProblem(f.name.value);
          if (message) return { path: `${item.path}.${f.name.value.slice(0, 60)}`, message };
          stack.push({ node: f.value, path: `${item.path}.${f.name.value}`, depth });
        }
      } else if (node.kind === Kind.VARIABLE) {
        const name = node.name.value;
        const fallback = defaults.get(name);
        if (variables && name in variables) {
          stack.push({ value: variables[name], path: item.path, depth: item.depth });
        } else if (fallback) stack.push({ node: fallback, path: item.path, depth: item.depth });
      }
      continue;
    }
    const value = item.value;
    if (typeof value === 'string') {
      const message = stringProblem(value, LONG_ARGUMENTS.get(item.path));
      if (message) return { path: item.path, message };
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => stack.push({ value: v, path: `${item.path}[${i}]`, depth }));
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, v] of Object.entries(value)) {
        const message = stringProblem(key);
        // A bad key is named by its place, not by itself.
        if (message) return { path: `${item.path}.<key>`, message: `has a key that ${message}` };
        stack.push({
          value: v,
          path: `${item.path}.${key.length > 60 ? `${key.slice(0, 60)}…` : key}`,
          depth,
        });
      }
    }
  }
  return undefined;
}

function refusal(problem: Problem): GraphQLError {
  const path = problem.path.length > 200 ? `${problem.path.slice(0, 200)}…` : problem.path;
  return new GraphQLError(`${path}: ${problem.message}`, {
    extensions: { code: 'BAD_USER_INPUT', inputPath: path },
  });
}

/** The longest error message sent back: graphql-js quotes a refused variable's whole value. */
export const MAX_ERROR_MESSAGE = 1_000;

/** An answer's errors with their messages cut short (after masking: the extensions are final). */
function shortenErrors(result: unknown): unknown {
  const errors = (result as { errors?: readonly GraphQLError[] } | null)?.errors;
  if (!errors?.some((e) => e.message.length > MAX_ERROR_MESSAGE)) return result;
  return {
    ...(result as object),
    errors: errors.map((e) =>
      e.message.length <= MAX_ERROR_MESSAGE
        ? e
        : new GraphQLError(`${e.message.slice(0, MAX_ERROR_MESSAGE)}… (shortened)`, {
            nodes: e.nodes,
            path: e.path,
            extensions: e.extensions,
          }),
    ),
  };
}

/** Refuses an operation whose arguments hold a string no field can take (see the file comment),
 * and keeps the messages of refused operations short. */
export function useInputGuard(): Plugin {
  // The arguments of each document, found once: a document does not change, and finding them visits
  // every node of it (~3% of the CPU of the contract Run query when done on every request). The
  // document cache hands a repeated query the same document object.
  const found = new WeakMap<DocumentNode, Arguments>();
  const argumentsOf = (document: DocumentNode) => {
    let args = found.get(document);
    if (!args) found.set(document, (args = documentArguments(document)));
    return args;
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const problem = firstProblem(argumentsOf(args.document), args.variableValues);
      if (problem) setResultAndStopExecution({ errors: [refusal(problem)] });
    },
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result)) setResult(result.map(shortenErrors) as typeof result);
      else if (result && typeof result === 'object' && !(Symbol.asyncIterator in result)) {
        const next = shortenErrors(result);
        if (next !== result) setResult(next as typeof result);
      }
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const problem = firstProblem(argumentsOf(args.document), args.variableValues);
      if (problem) setResultAndStopExecution({ errors: [refusal(problem)] });
    },
  };
}
