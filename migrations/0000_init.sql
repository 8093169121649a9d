CREATE TABLE "clusters" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "clusters_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "nodes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"cluster_id" uuid NOT NULL,
	"name" text NOT NULL,
	"host" text NOT NULL,
	"pid" integer,
	"status" text DEFAULT 'READY' NOT NULL,
	"slots" integer NOT NULL,
	"tags" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"version" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deregistered_at" timestamp with time zone,
	CONSTRAINT "nodes_status_check" CHECK ("nodes"."status" in ('READY', 'DRAINING', 'DOWN')),
	CONSTRAINT "nodes_slots_check" CHECK ("nodes"."slots" >= 0 and "nodes"."slots" <= 1024)
);
--> statement-breakpoint
CREATE TABLE "artifacts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"sha256" text NOT NULL,
	"size" integer NOT NULL,
	"content" "bytea" NOT NULL,
	"content_type" text DEFAULT 'application/octet-stream' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "artifacts_size_check" CHECK ("artifacts"."size" >= 0 and "artifacts"."size" <= 104857600)
);
--> statement-breakpoint
CREATE TABLE "job_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"job_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"kind" text NOT NULL,
	"mode" text NOT NULL,
	"parallelism" integer DEFAULT 1 NOT NULL,
	"checkpoint_interval_ms" integer,
	"restart_strategy" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"definition" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "job_versions_job_version_key" UNIQUE("job_id","version"),
	CONSTRAINT "job_versions_kind_check" CHECK ("job_versions"."kind" in ('PIPELINE', 'COMMAND', 'STEPS')),
	CONSTRAINT "job_versions_mode_check" CHECK ("job_versions"."mode" in ('BATCH', 'STREAMING')),
	CONSTRAINT "job_versions_parallelism_check" CHECK ("job_versions"."parallelism" between 1 and 256)
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"cluster_id" uuid NOT NULL,
	"current_version" integer DEFAULT 1 NOT NULL,
	"schedule" text,
	"timezone" text,
	"concurrency" text DEFAULT 'ALLOW' NOT NULL,
	"retries" integer DEFAULT 0 NOT NULL,
	"parent_job_id" uuid,
	"tags" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"disabled" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "jobs_concurrency_check" CHECK ("jobs"."concurrency" in ('ALLOW', 'FORBID')),
	CONSTRAINT "jobs_retries_check" CHECK ("jobs"."retries" >= 0 and "jobs"."retries" <= 100),
	CONSTRAINT "jobs_name_check" CHECK (length("jobs"."name") between 1 and 200)
);
--> statement-breakpoint
CREATE TABLE "vertex_edges" (
	"job_version_id" uuid NOT NULL,
	"from_vertex_id" uuid NOT NULL,
	"to_vertex_id" uuid NOT NULL,
	CONSTRAINT "vertex_edges_from_vertex_id_to_vertex_id_pk" PRIMARY KEY("from_vertex_id","to_vertex_id"),
	CONSTRAINT "vertex_edges_no_self_check" CHECK ("vertex_edges"."from_vertex_id" <> "vertex_edges"."to_vertex_id")
);
--> statement-breakpoint
CREATE TABLE "vertices" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"job_version_id" uuid NOT NULL,
	"name" text NOT NULL,
	"position" integer NOT NULL,
	"kind" text NOT NULL,
	"plugin" text,
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"parallelism" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "vertices_version_name_key" UNIQUE("job_version_id","name"),
	CONSTRAINT "vertices_kind_check" CHECK ("vertices"."kind" in ('SOURCE', 'TRANSFORM', 'SINK', 'COMMAND')),
	CONSTRAINT "vertices_parallelism_check" CHECK ("vertices"."parallelism" between 1 and 256)
);
--> statement-breakpoint
CREATE TABLE "assignments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"run_id" char(32) NOT NULL,
	"name" text NOT NULL,
	"index" integer NOT NULL,
	"status" text DEFAULT 'CREATED' NOT NULL,
	"attempt" integer DEFAULT 0 NOT NULL,
	"node_id" uuid,
	"required_tags" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"waiting_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	CONSTRAINT "assignments_run_name_key" UNIQUE("run_id","name"),
	CONSTRAINT "assignments_status_check" CHECK ("assignments"."status" in ('CREATED', 'SCHEDULED', 'DEPLOYING', 'RUNNING', 'FINISHED', 'CANCELING', 'CANCELED', 'FAILED'))
);
--> statement-breakpoint
CREATE TABLE "run_exceptions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" char(32) NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"message" text NOT NULL,
	"stack" text,
	"vertex_name" text,
	"subtask_index" integer,
	"node_id" uuid,
	"global" boolean DEFAULT false NOT NULL,
	"details" jsonb
);
--> statement-breakpoint
CREATE TABLE "run_status_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" char(32) NOT NULL,
	"from_status" text,
	"to_status" text NOT NULL,
	"cause" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "run_status_history_to_check" CHECK ("run_status_history"."to_status" in ('CREATED', 'INITIALIZING', 'RUNNING', 'FAILING', 'FAILED', 'CANCELLING', 'CANCELED', 'FINISHED', 'RESTARTING', 'SUSPENDED'))
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" char(32) PRIMARY KEY NOT NULL,
	"num" bigserial NOT NULL,
	"job_id" uuid NOT NULL,
	"job_version_id" uuid NOT NULL,
	"status" text DEFAULT 'CREATED' NOT NULL,
	"status_cause" text,
	"trigger" text DEFAULT 'API' NOT NULL,
	"parallelism" integer DEFAULT 1 NOT NULL,
	"attempt" integer DEFAULT 0 NOT NULL,
	"restored_from_id" uuid,
	"previous_run_id" char(32),
	"log_seq" bigint DEFAULT 0 NOT NULL,
	"stop_requested" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	CONSTRAINT "runs_num_unique" UNIQUE("num"),
	CONSTRAINT "runs_id_check" CHECK ("runs"."id" ~ '^[0-9a-f]{32}$'),
	CONSTRAINT "runs_status_check" CHECK ("runs"."status" in ('CREATED', 'INITIALIZING', 'RUNNING', 'FAILING', 'FAILED', 'CANCELLING', 'CANCELED', 'FINISHED', 'RESTARTING', 'SUSPENDED')),
	CONSTRAINT "runs_trigger_check" CHECK ("runs"."trigger" in ('API', 'SCHEDULE', 'RESTART', 'DEPENDENT', 'RETRY')),
	CONSTRAINT "runs_stop_requested_check" CHECK ("runs"."stop_requested" in ('STOP', 'DRAIN', 'CANCEL', 'SUSPEND'))
);
--> statement-breakpoint
CREATE TABLE "subtask_attempts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"subtask_id" uuid NOT NULL,
	"attempt" integer NOT NULL,
	"node_id" uuid,
	"status" text NOT NULL,
	"exit_code" integer,
	"failure" text,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	CONSTRAINT "subtask_attempts_subtask_attempt_key" UNIQUE("subtask_id","attempt"),
	CONSTRAINT "subtask_attempts_status_check" CHECK ("subtask_attempts"."status" in ('CREATED', 'SCHEDULED', 'DEPLOYING', 'RUNNING', 'FINISHED', 'CANCELING', 'CANCELED', 'FAILED'))
);
--> statement-breakpoint
CREATE TABLE "subtasks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"run_id" char(32) NOT NULL,
	"vertex_id" uuid NOT NULL,
	"assignment_id" uuid,
	"index" integer NOT NULL,
	"status" text DEFAULT 'CREATED' NOT NULL,
	"attempt" integer DEFAULT 0 NOT NULL,
	"node_id" uuid,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	CONSTRAINT "subtasks_run_vertex_index_key" UNIQUE("run_id","vertex_id","index"),
	CONSTRAINT "subtasks_status_check" CHECK ("subtasks"."status" in ('CREATED', 'SCHEDULED', 'DEPLOYING', 'RUNNING', 'FINISHED', 'CANCELING', 'CANCELED', 'FAILED'))
);
--> statement-breakpoint
CREATE TABLE "checkpoint_acks" (
	"checkpoint_id" uuid NOT NULL,
	"subtask_id" uuid NOT NULL,
	"state" jsonb NOT NULL,
	"state_size" integer NOT NULL,
	"acked_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "checkpoint_acks_checkpoint_id_subtask_id_pk" PRIMARY KEY("checkpoint_id","subtask_id")
);
--> statement-breakpoint
CREATE TABLE "checkpoints" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"run_id" char(32) NOT NULL,
	"number" integer NOT NULL,
	"kind" text NOT NULL,
	"status" text DEFAULT 'IN_PROGRESS' NOT NULL,
	"request_id" text,
	"stop_after" boolean DEFAULT false NOT NULL,
	"expected_acks" integer NOT NULL,
	"triggered_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	"duration_ms" integer,
	"state_size" bigint DEFAULT 0 NOT NULL,
	"location" text,
	"failure_reason" text,
	CONSTRAINT "checkpoints_run_number_key" UNIQUE("run_id","number"),
	CONSTRAINT "checkpoints_kind_check" CHECK ("checkpoints"."kind" in ('CHECKPOINT', 'SAVEPOINT')),
	CONSTRAINT "checkpoints_status_check" CHECK ("checkpoints"."status" in ('IN_PROGRESS', 'COMPLETED', 'FAILED'))
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"run_id" char(32),
	"job_id" uuid,
	"node_id" uuid,
	"checkpoint_id" uuid,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "log_lines" (
	"run_id" char(32) NOT NULL,
	"seq" bigint NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"level" smallint NOT NULL,
	"node_id" uuid,
	"node_name" text,
	"vertex" text,
	"subtask_index" integer,
	"message" text NOT NULL,
	CONSTRAINT "log_lines_run_id_seq_pk" PRIMARY KEY("run_id","seq"),
	CONSTRAINT "log_lines_level_check" CHECK ("log_lines"."level" in (10, 20, 30, 40, 50))
);
--> statement-breakpoint
CREATE TABLE "metric_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"name" text NOT NULL,
	"run_id" char(32),
	"value" double precision NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "metrics_current" (
	"key" text NOT NULL,
	"name" text NOT NULL,
	"scope" text NOT NULL,
	"run_id" char(32),
	"node_id" uuid,
	"vertex_id" uuid,
	"subtask_index" integer,
	"value" double precision NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "metrics_current_key_name_pk" PRIMARY KEY("key","name"),
	CONSTRAINT "metrics_current_scope_check" CHECK ("metrics_current"."scope" in ('CLUSTER', 'NODE', 'RUN', 'VERTEX', 'SUBTASK'))
);
--> statement-breakpoint
CREATE TABLE "api_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"prefix" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_tokens_token_hash_unique" UNIQUE("token_hash"),
	CONSTRAINT "api_tokens_role_check" CHECK ("api_tokens"."role" in ('viewer', 'operator', 'admin'))
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"target" text,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "schedule_ticks" (
	"job_id" uuid NOT NULL,
	"tick_at" timestamp with time zone NOT NULL,
	"outcome" text NOT NULL,
	"reason" text,
	"run_id" char(32),
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "schedule_ticks_job_id_tick_at_pk" PRIMARY KEY("job_id","tick_at"),
	CONSTRAINT "schedule_ticks_outcome_check" CHECK ("schedule_ticks"."outcome" in ('FIRED', 'SKIPPED'))
);
--> statement-breakpoint
ALTER TABLE "nodes" ADD CONSTRAINT "nodes_cluster_id_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."clusters"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "job_versions" ADD CONSTRAINT "job_versions_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_cluster_id_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."clusters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_parent_job_id_jobs_id_fk" FOREIGN KEY ("parent_job_id") REFERENCES "public"."jobs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vertex_edges" ADD CONSTRAINT "vertex_edges_job_version_id_job_versions_id_fk" FOREIGN KEY ("job_version_id") REFERENCES "public"."job_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vertex_edges" ADD CONSTRAINT "vertex_edges_from_vertex_id_vertices_id_fk" FOREIGN KEY ("from_vertex_id") REFERENCES "public"."vertices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vertex_edges" ADD CONSTRAINT "vertex_edges_to_vertex_id_vertices_id_fk" FOREIGN KEY ("to_vertex_id") REFERENCES "public"."vertices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vertices" ADD CONSTRAINT "vertices_job_version_id_job_versions_id_fk" FOREIGN KEY ("job_version_id") REFERENCES "public"."job_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assignments" ADD CONSTRAINT "assignments_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assignments" ADD CONSTRAINT "assignments_node_id_nodes_id_fk" FOREIGN KEY ("node_id") REFERENCES "public"."nodes"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_exceptions" ADD CONSTRAINT "run_exceptions_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_exceptions" ADD CONSTRAINT "run_exceptions_node_id_nodes_id_fk" FOREIGN KEY ("node_id") REFERENCES "public"."nodes"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_status_history" ADD CONSTRAINT "run_status_history_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_job_version_id_job_versions_id_fk" FOREIGN KEY ("job_version_id") REFERENCES "public"."job_versions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_previous_run_id_runs_id_fk" FOREIGN KEY ("previous_run_id") REFERENCES "public"."runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subtask_attempts" ADD CONSTRAINT "subtask_attempts_subtask_id_subtasks_id_fk" FOREIGN KEY ("subtask_id") REFERENCES "public"."subtasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subtask_attempts" ADD CONSTRAINT "subtask_attempts_node_id_nodes_id_fk" FOREIGN KEY ("node_id") REFERENCES "public"."nodes"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subtasks" ADD CONSTRAINT "subtasks_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subtasks" ADD CONSTRAINT "subtasks_vertex_id_vertices_id_fk" FOREIGN KEY ("vertex_id") REFERENCES "public"."vertices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subtasks" ADD CONSTRAINT "subtasks_assignment_id_assignments_id_fk" FOREIGN KEY ("assignment_id") REFERENCES "public"."assignments"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subtasks" ADD CONSTRAINT "subtasks_node_id_nodes_id_fk" FOREIGN KEY ("node_id") REFERENCES "public"."nodes"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "checkpoint_acks" ADD CONSTRAINT "checkpoint_acks_checkpoint_id_checkpoints_id_fk" FOREIGN KEY ("checkpoint_id") REFERENCES "public"."checkpoints"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "checkpoint_acks" ADD CONSTRAINT "checkpoint_acks_subtask_id_subtasks_id_fk" FOREIGN KEY ("subtask_id") REFERENCES "public"."subtasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "checkpoints" ADD CONSTRAINT "checkpoints_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "log_lines" ADD CONSTRAINT "log_lines_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "metric_history" ADD CONSTRAINT "metric_history_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "metrics_current" ADD CONSTRAINT "metrics_current_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "schedule_ticks" ADD CONSTRAINT "schedule_ticks_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "schedule_ticks" ADD CONSTRAINT "schedule_ticks_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "nodes_cluster_idx" ON "nodes" USING btree ("cluster_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "nodes_cluster_name_live_idx" ON "nodes" USING btree ("cluster_id","name") WHERE "nodes"."deregistered_at" is null;--> statement-breakpoint
CREATE INDEX "artifacts_created_idx" ON "artifacts" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "jobs_name_live_idx" ON "jobs" USING btree ("name") WHERE "jobs"."deleted_at" is null;--> statement-breakpoint
CREATE INDEX "jobs_cluster_idx" ON "jobs" USING btree ("cluster_id");--> statement-breakpoint
CREATE INDEX "jobs_parent_idx" ON "jobs" USING btree ("parent_job_id");--> statement-breakpoint
CREATE INDEX "vertex_edges_version_idx" ON "vertex_edges" USING btree ("job_version_id");--> statement-breakpoint
CREATE INDEX "vertex_edges_to_idx" ON "vertex_edges" USING btree ("to_vertex_id");--> statement-breakpoint
CREATE INDEX "vertices_version_idx" ON "vertices" USING btree ("job_version_id","position");--> statement-breakpoint
CREATE INDEX "assignments_status_idx" ON "assignments" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "assignments_node_idx" ON "assignments" USING btree ("node_id","status");--> statement-breakpoint
CREATE INDEX "run_exceptions_run_idx" ON "run_exceptions" USING btree ("run_id","id");--> statement-breakpoint
CREATE INDEX "run_status_history_run_idx" ON "run_status_history" USING btree ("run_id","id");--> statement-breakpoint
CREATE INDEX "runs_job_idx" ON "runs" USING btree ("job_id","num");--> statement-breakpoint
CREATE INDEX "runs_status_idx" ON "runs" USING btree ("status","num");--> statement-breakpoint
CREATE INDEX "subtasks_vertex_idx" ON "subtasks" USING btree ("vertex_id");--> statement-breakpoint
CREATE INDEX "subtasks_assignment_idx" ON "subtasks" USING btree ("assignment_id");--> statement-breakpoint
CREATE INDEX "subtasks_node_idx" ON "subtasks" USING btree ("node_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "checkpoints_run_request_idx" ON "checkpoints" USING btree ("run_id","request_id") WHERE "checkpoints"."request_id" is not null;--> statement-breakpoint
CREATE INDEX "checkpoints_run_idx" ON "checkpoints" USING btree ("run_id","number");--> statement-breakpoint
CREATE INDEX "events_run_idx" ON "events" USING btree ("run_id","id");--> statement-breakpoint
CREATE INDEX "events_type_idx" ON "events" USING btree ("type","id");--> statement-breakpoint
CREATE INDEX "metric_history_key_idx" ON "metric_history" USING btree ("key","name","at");--> statement-breakpoint
CREATE INDEX "metric_history_run_idx" ON "metric_history" USING btree ("run_id","id");--> statement-breakpoint
CREATE INDEX "metrics_current_run_idx" ON "metrics_current" USING btree ("run_id","at");--> statement-breakpoint
CREATE INDEX "metrics_current_node_idx" ON "metrics_current" USING btree ("node_id");--> statement-breakpoint
CREATE INDEX "audit_events_at_idx" ON "audit_events" USING btree ("at");--> statement-breakpoint
CREATE INDEX "schedule_ticks_job_idx" ON "schedule_ticks" USING btree ("job_id","tick_at");