CREATE TABLE "audit_head" (
	"id" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"seq" bigint NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "audit_head_single_row" CHECK ("audit_head"."id")
);
--> statement-breakpoint
-- The head starts where the chain ends (or at the genesis hash of an empty chain).
INSERT INTO audit_head (id, seq, prev_hash, hash)
SELECT true,
       coalesce((SELECT seq FROM audit_events ORDER BY seq DESC LIMIT 1), 0),
       coalesce((SELECT prev_hash FROM audit_events ORDER BY seq DESC LIMIT 1), repeat('0', 64)),
       coalesce((SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1), repeat('0', 64));
--> statement-breakpoint
-- The head only moves forward; it is never removed.
CREATE OR REPLACE FUNCTION audit_head_forward_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.seq > OLD.seq AND NEW.id THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit_head only moves forward: % is refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_head_forward_only
  BEFORE UPDATE OR DELETE ON audit_head
  FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only();
--> statement-breakpoint
CREATE TRIGGER audit_head_no_truncate
  BEFORE TRUNCATE ON audit_head
  FOR EACH STATEMENT EXECUTE FUNCTION audit_head_forward_only();
