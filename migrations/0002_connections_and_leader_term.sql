CREATE TABLE "connections" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"kind" text DEFAULT 'postgres' NOT NULL,
	"url" text NOT NULL,
	"username" text,
	"secret" text,
	"options" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"description" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "connections_name_unique" UNIQUE("name"),
	CONSTRAINT "connections_kind_check" CHECK ("connections"."kind" in ('postgres')),
	CONSTRAINT "connections_name_check" CHECK ("connections"."name" ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$')
);
--> statement-breakpoint
ALTER TABLE "clusters" ADD COLUMN "leader_term" bigint DEFAULT 0 NOT NULL;