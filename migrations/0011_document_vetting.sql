-- Documents are vetted (issue 17): a status per document, and uniqueness moves from
-- "one holder anywhere" to "one approved holder" and "one holder per institution".
DROP INDEX "identity_documents_kind_number_uq";--> statement-breakpoint
ALTER TABLE "identity_documents" ADD COLUMN "status" text DEFAULT 'pending' NOT NULL;--> statement-breakpoint
ALTER TABLE "identity_documents" ADD COLUMN "status_reason" text;--> statement-breakpoint
ALTER TABLE "identity_documents" ADD COLUMN "institution_id" uuid;--> statement-breakpoint
-- Existing documents were vetted with their researcher: approved for the vetted, revoked with the revoked.
UPDATE "identity_documents" d
   SET "institution_id" = r."institution_id",
       "status" = CASE r."status" WHEN 'revoked' THEN 'revoked'
                                  WHEN 'approved' THEN 'approved'
                                  WHEN 'suspended' THEN 'approved'
                                  ELSE 'pending' END
  FROM "researchers" r
 WHERE r."id" = d."researcher_id";--> statement-breakpoint
ALTER TABLE "identity_documents" ALTER COLUMN "institution_id" SET NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "researchers_id_institution_uq" ON "researchers" USING btree ("id","institution_id");--> statement-breakpoint
-- The supervisor's queue (GET /v1/researchers?status=nominated) across institutions, in id order.
CREATE INDEX "researchers_status_idx" ON "researchers" USING btree ("status","id");--> statement-breakpoint
-- A document's institution is always its holder's.
ALTER TABLE "identity_documents" ADD CONSTRAINT "identity_documents_holder_fk" FOREIGN KEY ("researcher_id","institution_id") REFERENCES "public"."researchers"("id","institution_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "identity_documents_approved_uq" ON "identity_documents" USING btree ("kind","number","country_key") WHERE "identity_documents"."status" = 'approved';--> statement-breakpoint
CREATE UNIQUE INDEX "identity_documents_institution_uq" ON "identity_documents" USING btree ("institution_id","kind","number","country_key");--> statement-breakpoint
CREATE INDEX "identity_documents_kind_number_idx" ON "identity_documents" USING btree ("kind","number","country_key");--> statement-breakpoint
ALTER TABLE "identity_documents" ADD CONSTRAINT "identity_documents_status_ck" CHECK ("identity_documents"."status" in ('pending','approved','rejected','revoked'));
