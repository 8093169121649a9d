ALTER TABLE "artifacts" ADD COLUMN "definition" jsonb;--> statement-breakpoint
ALTER TABLE "artifacts" ADD COLUMN "definition_problem" text;--> statement-breakpoint
ALTER TABLE "artifacts" ADD COLUMN "entry_class" text;--> statement-breakpoint
ALTER TABLE "artifacts" ADD COLUMN "uploaded_by" text;--> statement-breakpoint
ALTER TABLE "job_versions" ADD COLUMN "artifact_id" uuid;--> statement-breakpoint
ALTER TABLE "checkpoints" ADD COLUMN "stop_drains" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "job_versions" ADD CONSTRAINT "job_versions_artifact_id_artifacts_id_fk" FOREIGN KEY ("artifact_id") REFERENCES "public"."artifacts"("id") ON DELETE set null ON UPDATE no action;