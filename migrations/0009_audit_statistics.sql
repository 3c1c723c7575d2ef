-- Hand-written: the planner's statistics of the audit log, sized for what is asked of it.
--
-- The audit log grows by every lookup and crossing, and autovacuum ANALYZEs it again each
-- time a tenth of it is new: with the default target (100) that reads a sample of 30,000
-- rows and computes statistics of every column — 1.2 s of one core at 2.5 M events, in the
-- middle of the lookups. Nothing filters or joins on the chain's hashes or on the event's
-- data (the API reads them back, verification recomputes them): no statistics for those.
-- The other columns — those the audit list filters on (seq for the cursor, at, actor,
-- action, subject) and role — keep coarse statistics, enough to choose between the indexes
-- and a scan: a sample of 7,500 rows, about 0.1 s.
ALTER TABLE "audit_events"
  ALTER COLUMN "data" SET STATISTICS 0,
  ALTER COLUMN "prev_hash" SET STATISTICS 0,
  ALTER COLUMN "hash" SET STATISTICS 0,
  ALTER COLUMN "seq" SET STATISTICS 25,
  ALTER COLUMN "at" SET STATISTICS 25,
  ALTER COLUMN "actor" SET STATISTICS 25,
  ALTER COLUMN "role" SET STATISTICS 25,
  ALTER COLUMN "action" SET STATISTICS 25,
  ALTER COLUMN "subject" SET STATISTICS 25;
