ALTER TABLE "log_lines" DROP CONSTRAINT "log_lines_run_id_runs_id_fk";
