import { ForbiddenError, UnauthenticatedError } from '../lib/errors.ts';
import { ROLE_RANK, type Role } from '../lib/status.ts';
import type { GraphQLContext, Viewer } from './context.ts';

/** The viewer, if it holds at least `role`; otherwise UNAUTHENTICATED or FORBIDDEN. */
export function requireRole(ctx: GraphQLContext, role: Role): Viewer {
  const viewer = ctx.viewer;
  if (!viewer) throw new UnauthenticatedError(ctx.authError);
  if (ROLE_RANK[viewer.role] < ROLE_RANK[role]) {
    throw new ForbiddenError(
      `this needs the ${role} role; the token ${JSON.stringify(viewer.name)} has the ${viewer.role} role`,
    );
  }
  return viewer;
}
