import { getOperationAST, GraphQLError } from 'graphql';
import type { Plugin, YogaLogger } from 'graphql-yoga';
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

/** An error the client caused (a JobgateError with its code, or the GraphQL layer's own: syntax,
 * validation, limits), as opposed to a fault of the server. */
function isClientError(value: unknown): boolean {
  if (!(value instanceof GraphQLError)) return false;
  return value.originalError === undefined || value.originalError instanceof JobgateError;
}

/**
 * Yoga's log, through the app's logger. Yoga reports every error of an answer at error level, those
 * the client caused too (a job name that does not exist, a parallelism out of range); those are the
 * client's business and go out at debug, where useClientErrorLog has already said them at info with
 * the operation's name. Faults of the server stay at error level (masking logs them too, with context).
 */
export function yogaLogger(logger: Logger): YogaLogger {
  return {
    debug: (...args) => logger.debug({ args }, 'yoga'),
    info: (...args) => logger.info({ args }, 'yoga'),
    warn: (...args) => logger.warn({ args }, 'yoga'),
    error: (...args) => {
      if (args.length > 0 && args.every(isClientError)) logger.debug({ args }, 'yoga');
      else logger.error({ args }, 'yoga');
    },
  };
}

/** Logs, at info, each operation answered with errors the client caused: which operation (its name,
 * or its type when unnamed), and each error's code, path and message. */
export function useClientErrorLog(logger: Logger): Plugin {
  return {
    onExecute({ args }) {
      return {
        onExecuteDone({ result }) {
          if (!('errors' in result) || !result.errors?.length) return;
          const refused = result.errors.filter(isClientError);
          if (refused.length === 0) return;
          const operation = getOperationAST(args.document, args.operationName);
          logger.info(
            {
              operation: operation?.name?.value ?? `(anonymous ${operation?.operation ?? 'operation'})`,
              errors: refused.map((error) => ({
                code: error.extensions?.code ?? (error.originalError as JobgateError | undefined)?.code,
                path: error.path?.join('.'),
                message: boundMessage(error.message),
              })),
            },
            'a GraphQL operation was answered with client errors',
          );
        },
      };
    },
  };
}
