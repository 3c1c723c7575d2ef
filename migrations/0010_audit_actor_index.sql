-- The audit list's actor filter ("what did this account do"), in seq order like the action and
-- subject filters. Without it the filter walks the whole log whenever the actor is rare (1.6 s
-- at 2.7 M events for an account with no events, and linear in the log). An actor's events go
-- to the end of its range, so an insert touches one of few hot pages.
-- The build locks audit_events against writes for its length (about 3 s at 2.7 M events);
-- lookups and crossings write to audit_journal meanwhile, so only changes and the sealer wait.
CREATE INDEX "audit_events_actor_idx" ON "audit_events" USING btree ("actor","seq");
