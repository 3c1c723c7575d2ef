CREATE TABLE "audit_outbox" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_outbox_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"at" timestamp with time zone NOT NULL,
	"actor" text NOT NULL,
	"role" text NOT NULL,
	"action" text NOT NULL,
	"subject" text,
	"data" jsonb NOT NULL,
	"canonical_prefix" text NOT NULL,
	"canonical_suffix" text NOT NULL
);
--> statement-breakpoint
-- Hand-written: at COMMIT, each outbox row becomes the next event of the chain. The
-- head row moves on (its lock, the chain's lock, is held from here to the end of the
-- commit only), the event is hashed exactly as the application's hashEvent does —
-- SHA-256 of the previous hash and the RFC 8785 canonical JSON, in UTF-8 — and the
-- outbox row goes away. Rows fire in the order they were inserted.
CREATE OR REPLACE FUNCTION audit_outbox_seal() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  h record;
BEGIN
  UPDATE audit_head
     SET seq = seq + 1,
         prev_hash = hash,
         hash = encode(sha256(convert_to(hash || NEW.canonical_prefix || (seq + 1)::text || NEW.canonical_suffix, 'UTF8')), 'hex')
  RETURNING seq, prev_hash, hash INTO h;
  INSERT INTO audit_events (seq, at, actor, role, action, subject, data, prev_hash, hash)
  VALUES (h.seq, NEW.at, NEW.actor, NEW.role, NEW.action, NEW.subject, NEW.data, h.prev_hash, h.hash);
  DELETE FROM audit_outbox WHERE id = NEW.id;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER audit_outbox_seal
  AFTER INSERT ON audit_outbox
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION audit_outbox_seal();
