// Connections: named external systems (a PostgreSQL server and its credentials) that jobs refer to
// by name. Admins define them; operators may read them so they can write jobs against them; viewers
// see none (a connection's host and user are infrastructure, and a viewer defines no job). The
// secret is never a field: only `hasPassword` says whether there is one.
import {
  createConnection,
  deleteConnection,
  listConnections,
  updateConnection,
  type ConnectionRow,
} from '../../runtime/index.ts';
import { requireRole } from '../auth.ts';
import { builder } from '../builder.ts';

const ConnectionKindEnum = builder.enumType('ConnectionKind', {
  values: { POSTGRES: { value: 'postgres' as const } },
});

const ConnectionRef = builder.objectRef<ConnectionRow>('Connection').implement({
  description: 'A named external system a job may reach. Its secret is never returned.',
  fields: (t) => ({
    name: t.exposeString('name'),
    kind: t.field({ type: ConnectionKindEnum, resolve: (c) => c.kind }),
    url: t.exposeString('url', { description: 'The URL without credentials.' }),
    username: t.exposeString('username', { nullable: true }),
    hasPassword: t.boolean({ resolve: (c) => c.secret !== null }),
    options: t.field({
      type: 'JSON',
      description: 'connect_timeout_ms, statement_timeout_ms, idle_timeout_ms.',
      resolve: (c) => c.options,
    }),
    description: t.exposeString('description', { nullable: true }),
    createdBy: t.exposeString('createdBy'),
    createdAt: t.field({ type: 'DateTime', resolve: (c) => c.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (c) => c.updatedAt }),
  }),
});

const CreateConnectionInput = builder.inputType('CreateConnectionInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: 'Letters, digits, dots, dashes, underscores.' }),
    kind: t.field({ type: ConnectionKindEnum, description: 'Default: POSTGRES.' }),
    url: t.string({
      required: true,
      description:
        'postgresql://host[:port]/database (also jdbc:postgresql://); a user:password in it is taken out.',
    }),
    username: t.string(),
    password: t.string({ description: 'Stored encrypted; never returned.' }),
    options: t.field({
      type: 'JSON',
      description: 'connect_timeout_ms, statement_timeout_ms, idle_timeout_ms.',
    }),
    description: t.string(),
  }),
});

const UpdateConnectionInput = builder.inputType('UpdateConnectionInput', {
  description: 'A field left out stays as it is; null clears it (url cannot be cleared).',
  fields: (t) => ({
    name: t.string({ required: true, description: 'The connection to change.' }),
    url: t.string(),
    username: t.string(),
    password: t.string(),
    options: t.field({ type: 'JSON' }),
    description: t.string(),
  }),
});

const ConnectionPayload = builder.objectRef<{ connection: ConnectionRow }>('ConnectionPayload').implement({
  fields: (t) => ({ connection: t.field({ type: ConnectionRef, resolve: (p) => p.connection }) }),
});

builder.queryFields((t) => ({
  connections: t.field({
    type: [ConnectionRef],
    description: 'Every connection, by name (operators and admins).',
    resolve: async (_root, _args, ctx) => {
      requireRole(ctx, 'operator');
      return listConnections(ctx.database);
    },
  }),
}));

builder.mutationFields((t) => ({
  createConnection: t.field({
    type: ConnectionPayload,
    description: 'Admins only.',
    args: { input: t.arg({ type: CreateConnectionInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const viewer = requireRole(ctx, 'admin');
      return { connection: await createConnection(ctx.database, ctx.secrets, input, viewer.name) };
    },
  }),
  updateConnection: t.field({
    type: ConnectionPayload,
    description: 'Admins only.',
    args: { input: t.arg({ type: UpdateConnectionInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const viewer = requireRole(ctx, 'admin');
      return { connection: await updateConnection(ctx.database, ctx.secrets, input, viewer.name) };
    },
  }),
  deleteConnection: t.field({
    type: ConnectionPayload,
    description: 'Admins only; refused (CONFLICT) while a job uses the connection.',
    args: { name: t.arg.string({ required: true }) },
    resolve: async (_root, { name }, ctx) => {
      const viewer = requireRole(ctx, 'admin');
      return { connection: await deleteConnection(ctx.database, name, viewer.name) };
    },
  }),
}));
