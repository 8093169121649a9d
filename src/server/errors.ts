import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { JobgateError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';

/** Longest error message sent back: messages quote inputs (names, variable values), and an answer
 * must not grow with the request that provoked it. */
export const MAX_ERROR_MESSAGE = 1_000;

export function boundMessage(message: string): string {
  if (message.length <= MAX_ERROR_MESSAGE) return message;
  return `${message.slice(0, MAX_ERROR_MESSAGE)}… (${message.length} characters in all)`;
}

/** The masking function of the app (createMaskError), shared by HTTP and in-process execution. */
export type MaskError = (error: unknown, message: string) => Error;

/** Expected errors keep their message and gain `extensions.code`; anything else is logged with its
 * context and reaches the client only as "Unexpected error." */
export function createMaskError(logger: Logger): MaskError {
  return (error, message) => {
    const graphqlError = error instanceof GraphQLError ? error : undefined;
    const original = graphqlError?.originalError ?? error;
    if (original instanceof JobgateError) {
      return new GraphQLError(boundMessage(original.message), {
        nodes: graphqlError?.nodes,
        path: graphqlError?.path,
        extensions: {
          code: original.code,
          ...(original.path ? { inputPath: original.path } : {}),
          ...(original.details ? { details: original.details } : {}),
        },
      });
    }
    // Errors of the GraphQL layer itself (syntax, validation, limits, variable coercion) are the
    // client's. They are answered as they are (the same object, so yoga does not log them as server
    // errors), with a code and a bounded message.
    if (graphqlError && !graphqlError.originalError) {
      // graphql-jit's errors may come without an extensions object.
      const extensions = graphqlError.extensions as Record<string, unknown> | undefined;
      const code = extensions?.code ?? 'BAD_USER_INPUT';
      if (!extensions || Object.isFrozen(extensions) || Object.isFrozen(graphqlError)) {
        return new GraphQLError(boundMessage(graphqlError.message), {
          nodes: graphqlError.nodes,
          path: graphqlError.path,
          extensions: { ...extensions, code },
        });
      }
      graphqlError.message = boundMessage(graphqlError.message);
      extensions.code = code;
      return graphqlError;
    }
    if (original instanceof GraphQLError) return original;
    logger.error({ err: original, path: graphqlError?.path }, 'unexpected error in a GraphQL operation');
    return new GraphQLError(message, {
      nodes: graphqlError?.nodes,
      path: graphqlError?.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  };
}

/** Bounds the messages of validation errors, which yoga answers without masking (e.g. "Cannot query
 * field" quotes the field's name, however long). The WebSocket path goes through it too. */
export function useBoundedValidationErrors(): Plugin {
  return {
    onValidate() {
      return ({ valid, result }) => {
        if (valid) return;
        for (const error of result) {
          if (error.message.length > MAX_ERROR_MESSAGE) {
            (error as { message: string }).message = boundMessage(error.message);
          }
        }
      };
    },
  };
}
