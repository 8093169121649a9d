// Whether job submissions through the Dkron API are paused (Dkron's /v1/pause and /v1/unpause). The
// flag lives in the database, so every gateway answers the same; GraphQL's own createJob and
// updateJob do not consult it (it is the Dkron API's switch, as in Dkron).
import { setSubmissionsPaused, submissionsPaused } from '../../runtime/index.ts';
import { requireRole } from '../auth.ts';
import { builder } from '../builder.ts';

builder.queryFields((t) => ({
  jobSubmissionsPaused: t.boolean({
    description: "Whether the Dkron API refuses new job submissions (503), as Dkron's /v1/pause says.",
    resolve: async (_root, _args, ctx) => {
      requireRole(ctx, 'viewer');
      return submissionsPaused(ctx.database);
    },
  }),
}));

builder.mutationFields((t) => ({
  setJobSubmissionsPaused: t.boolean({
    description:
      'Pauses (true) or resumes (false) job submissions through the Dkron API (admin); the new flag.',
    args: { paused: t.arg.boolean({ required: true }) },
    resolve: async (_root, { paused }, ctx) => {
      const viewer = requireRole(ctx, 'admin');
      return setSubmissionsPaused(ctx.database, paused, viewer.name);
    },
  }),
}));
