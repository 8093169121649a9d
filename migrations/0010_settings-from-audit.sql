-- Carries a pause of job submissions made before the settings table existed (it was the newest
-- pause/unpause audit row) into the table.
INSERT INTO "settings" ("key", "value", "updated_at", "updated_by")
SELECT 'submissions.paused', to_jsonb("action" = 'submissions:pause'), "at", "actor"
FROM "audit_events"
WHERE "action" IN ('submissions:pause', 'submissions:unpause')
ORDER BY "id" DESC
LIMIT 1;
