import { GraphQLError } from 'graphql';
import { JobgateError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';

/** Expected errors keep their message and gain `extensions.code`; anything else is logged with its
 * context and reaches the client only as "Unexpected error." */
export function createMaskError(logger: Logger) {
  return (error: unknown, message: string): Error => {
    const graphqlError = error instanceof GraphQLError ? error : undefined;
    const original = graphqlError?.originalError ?? error;
    if (original instanceof JobgateError) {
      return new GraphQLError(original.message, {
        nodes: graphqlError?.nodes,
        path: graphqlError?.path,
        extensions: {
          code: original.code,
          ...(original.path ? { inputPath: original.path } : {}),
          ...(original.details ? { details: original.details } : {}),
        },
      });
    }
    // Errors of the GraphQL layer itself (syntax, validation, variable coercion) are the client's.
    if (graphqlError && !graphqlError.originalError) {
      return new GraphQLError(graphqlError.message, {
        nodes: graphqlError.nodes,
        path: graphqlError.path,
        extensions: { code: graphqlError.extensions?.code ?? 'BAD_USER_INPUT', ...graphqlError.extensions },
      });
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
