ALTER TABLE "job_versions" DROP CONSTRAINT "job_versions_kind_check";--> statement-breakpoint
ALTER TABLE "vertices" DROP CONSTRAINT "vertices_kind_check";--> statement-breakpoint
ALTER TABLE "job_versions" ADD CONSTRAINT "job_versions_kind_check" CHECK ("job_versions"."kind" in ('PIPELINE', 'COMMAND', 'STEPS', 'HTTP'));--> statement-breakpoint
ALTER TABLE "vertices" ADD CONSTRAINT "vertices_kind_check" CHECK ("vertices"."kind" in ('SOURCE', 'TRANSFORM', 'SINK', 'COMMAND', 'HTTP'));