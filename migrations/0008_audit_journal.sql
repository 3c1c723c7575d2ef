CREATE TABLE "audit_journal" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_journal_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"at" timestamp with time zone NOT NULL,
	"actor" text NOT NULL,
	"role" text NOT NULL,
	"action" text NOT NULL,
	"subject" text,
	"data" jsonb NOT NULL
);
--> statement-breakpoint
-- Hand-written: a journal row is written once (by a lookup's statement) and leaves only
-- by being sealed into the chain (a DELETE in the sealing transaction). It is never
-- edited, and the journal is never emptied wholesale.
CREATE OR REPLACE FUNCTION audit_journal_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_journal rows are only written and sealed: % is refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_journal_no_update
  BEFORE UPDATE ON audit_journal
  FOR EACH ROW EXECUTE FUNCTION audit_journal_refuse_change();
--> statement-breakpoint
CREATE TRIGGER audit_journal_no_truncate
  BEFORE TRUNCATE ON audit_journal
  FOR EACH STATEMENT EXECUTE FUNCTION audit_journal_refuse_change();
