-- log_lines has no foreign key to runs (0007: its check cost a third of the insert rate); a run's
-- lines go with the run here instead. One statement-level trigger with a transition table deletes
-- the lines of every run a statement deleted, including runs deleted by the cascade from their job.
-- An append racing the delete: the append's UPDATE of the run row holds the row lock, so the delete
-- waits for the append to commit, and this trigger's DELETE (a fresh snapshot, READ COMMITTED) sees
-- those lines too; an append after the delete updates no run row and inserts nothing.
CREATE FUNCTION "runs_delete_log_lines"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "log_lines" l USING "gone" g WHERE l."run_id" = g."id";
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "runs_delete_log_lines" AFTER DELETE ON "runs"
  REFERENCING OLD TABLE AS "gone"
  FOR EACH STATEMENT EXECUTE FUNCTION "runs_delete_log_lines"();
