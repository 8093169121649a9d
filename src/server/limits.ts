// Limits on what one GraphQL document may ask for, applied before any work: the length of its text
// (before parsing), its tokens (while parsing), and its depth, aliases, directives and cost (the
// first validation step, before the O(n²) rules). GraphQL Armor's rules do the counting; a refusal
// is a GraphQLError with a code and the limit, thrown so that validation stops at once. The same
// plugins run for HTTP and for WebSocket subscriptions (both go through yoga.getEnveloped).
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from '../graphql/context.ts';
import { isAdmin, type AuthCarrier } from './auth.ts';

/** What one request may ask for. Every operation of the contract and the README stays well inside. */
export interface QueryLimits {
  /** Characters of query text, checked before parsing. */
  maxDocumentLength: number;
  /** Lexical tokens (the contract's largest operation has 88, GraphiQL's introspection 184). */
  maxTokens: number;
  /** Nesting of selections (the contract's deepest is 5). */
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  /** Armor's cost: objects 2, scalars 1, ×1.5 per level, × `first:` of lists (the contract's Logs is 14,125). */
  maxCost: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxDocumentLength: 65_536,
  maxTokens: 2_000,
  maxDepth: 10,
  maxAliases: 30,
  maxDirectives: 50,
  maxCost: 50_000,
};

/** The error of a refused document: 400, code QUERY_TOO_COMPLEX (or DOCUMENT_TOO_LARGE), the limit. */
export function limitError(limit: keyof QueryLimits, max: number, message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      code: limit === 'maxDocumentLength' ? 'DOCUMENT_TOO_LARGE' : 'QUERY_TOO_COMPLEX',
      limit,
      max,
      http: { status: limit === 'maxDocumentLength' ? 413 : 400 },
    },
  });
}

export function documentTooLarge(length: number, max: number): GraphQLError {
  return limitError('maxDocumentLength', max, `the document is ${length} characters; the limit is ${max}`);
}

/** Refuses a document longer than the limit before it is parsed. */
export function useDocumentLengthLimit(max: number): Plugin {
  return {
    onParams({ params, setResult }) {
      const length = typeof params.query === 'string' ? params.query.length : 0;
      if (length > max) setResult({ errors: [documentTooLarge(length, max)] });
    },
  };
}

/** Armor's reject callbacks, turned into one thrown, coded error (Armor's own reads "Syntax Error"). */
function refuseWith(limit: keyof QueryLimits, max: number) {
  return {
    exposeLimits: true,
    propagateOnRejection: false,
    onReject: [
      (_ctx: unknown, error: GraphQLError) => {
        throw limitError(limit, max, error.message.replace(/^Syntax Error: /, ''));
      },
    ],
  };
}

/** GraphQL Armor's envelop plugins with jobgate's limits. */
export function useQueryLimits(limits: QueryLimits): Plugin[] {
  return [
    maxTokensPlugin({ n: limits.maxTokens, ...refuseWith('maxTokens', limits.maxTokens) }),
    maxDepthPlugin({ n: limits.maxDepth, ...refuseWith('maxDepth', limits.maxDepth) }),
    maxAliasesPlugin({ n: limits.maxAliases, ...refuseWith('maxAliases', limits.maxAliases) }),
    maxDirectivesPlugin({ n: limits.maxDirectives, ...refuseWith('maxDirectives', limits.maxDirectives) }),
    costLimitPlugin({ maxCost: limits.maxCost, ...refuseWith('maxCost', limits.maxCost) }),
  ] as Plugin[];
}

const SUGGESTION = / ?Did you mean [^?]*\?/g;

/** Removes "Did you mean ...?" hints (field, argument, type and enum names) from error messages. */
export function stripSuggestions(errors: readonly { message: string }[]): void {
  for (const error of errors) {
    if (error.message.includes('Did you mean')) error.message = error.message.replace(SUGGESTION, '');
  }
}

/**
 * "Did you mean ...?" hints map the schema for whoever probes it, so only admins get them (with auth
 * off, the loopback user is the admin: the machine's own user, who can read the schema file anyway).
 * GraphQL Armor's block-field-suggestions is not role-aware and misses enum hints, hence this.
 * Validation errors (HTTP and WebSocket) and variable-coercion errors at execution are both covered.
 */
export function useSuggestionsForAdminsOnly(): Plugin<GraphQLContext> {
  return {
    onValidate({ context }) {
      if (isAdmin((context as AuthCarrier).jobgateAuth?.viewer)) return;
      return ({ valid, result }) => {
        if (!valid) stripSuggestions(result);
      };
    },
    onExecute({ args }) {
      if (isAdmin(args.contextValue.viewer)) return;
      return {
        onExecuteDone({ result }) {
          if ('errors' in result && result.errors) stripSuggestions(result.errors);
        },
      };
    },
  };
}
