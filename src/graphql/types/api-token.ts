// API tokens for admins: list them, create one (its secret is answered once and never again), revoke
// one (refused from the next request on). Nobody ever reads a secret or a hash back.
import { createApiToken, listApiTokens, revokeApiToken, type ApiTokenInfo } from '../../db/tokens.ts';
import { BadInputError, NotFoundError } from '../../lib/errors.ts';
import { isUuid } from '../../lib/ids.ts';
import { requireRole } from '../auth.ts';
import { builder } from '../builder.ts';
import { RoleEnum } from './enums.ts';

const MAX_NAME = 100;

const ApiTokenRef = builder.objectRef<ApiTokenInfo>('ApiToken').implement({
  description: 'An API token as admins see it: never its secret.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    role: t.field({ type: RoleEnum, resolve: (token) => token.role }),
    prefix: t.exposeString('prefix', { description: "The secret's first characters, to tell tokens apart." }),
    createdAt: t.field({ type: 'DateTime', resolve: (token) => token.createdAt }),
    lastUsedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When a request last used it (to the minute); null if never.',
      resolve: (token) => token.lastUsedAt,
    }),
    revokedAt: t.field({ type: 'DateTime', nullable: true, resolve: (token) => token.revokedAt }),
  }),
});

const CreateApiTokenInput = builder.inputType('CreateApiTokenInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: `What the token is for (1 to ${MAX_NAME} characters).` }),
    role: t.field({ type: RoleEnum, required: true }),
  }),
});

const CreateApiTokenPayload = builder
  .objectRef<{ token: string; apiToken: ApiTokenInfo }>('CreateApiTokenPayload')
  .implement({
    fields: (t) => ({
      token: t.exposeString('token', {
        description:
          'The secret, to send as `Authorization: Bearer <token>`. It is shown only in this answer.',
      }),
      apiToken: t.field({ type: ApiTokenRef, resolve: (p) => p.apiToken }),
    }),
  });

const ApiTokenPayload = builder.objectRef<{ apiToken: ApiTokenInfo }>('ApiTokenPayload').implement({
  fields: (t) => ({ apiToken: t.field({ type: ApiTokenRef, resolve: (p) => p.apiToken }) }),
});

builder.queryFields((t) => ({
  apiTokens: t.field({
    type: [ApiTokenRef],
    description: 'Every API token, oldest first (admins only).',
    args: {
      includeRevoked: t.arg.boolean({ description: 'Also the revoked ones (default false).' }),
    },
    resolve: (_root, { includeRevoked }, ctx) => {
      requireRole(ctx, 'admin');
      return listApiTokens(ctx.database, { includeRevoked: includeRevoked ?? false });
    },
  }),
}));

builder.mutationFields((t) => ({
  createApiToken: t.field({
    type: CreateApiTokenPayload,
    description: 'Admins only. The answer carries the secret; it cannot be read again.',
    args: { input: t.arg({ type: CreateApiTokenInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const viewer = requireRole(ctx, 'admin');
      const name = input.name.trim();
      if (name.length === 0 || name.length > MAX_NAME) {
        throw new BadInputError(`input.name: must be 1 to ${MAX_NAME} characters`, { path: 'input.name' });
      }
      const { token, ...apiToken } = await createApiToken(ctx.database, input.role, name, viewer.name);
      return { token, apiToken };
    },
  }),
  revokeApiToken: t.field({
    type: ApiTokenPayload,
    description:
      'Admins only. Requests with the token are refused from now on; revoking a revoked token changes nothing.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => {
      const viewer = requireRole(ctx, 'admin');
      if (!isUuid(id))
        throw new BadInputError(`id: ${JSON.stringify(id.slice(0, 60))} is not a token id`, { path: 'id' });
      const apiToken = await revokeApiToken(ctx.database, id, viewer.name);
      if (!apiToken) throw new NotFoundError('API token', id);
      return { apiToken };
    },
  }),
}));
