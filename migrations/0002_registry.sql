CREATE TABLE "item_custodians" (
	"item_id" uuid NOT NULL,
	"researcher_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "item_custodians_item_id_researcher_id_pk" PRIMARY KEY("item_id","researcher_id")
);
--> statement-breakpoint
CREATE TABLE "items" (
	"id" uuid PRIMARY KEY NOT NULL,
	"institution_id" uuid NOT NULL,
	"category" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"home_side" text NOT NULL,
	"status" text NOT NULL,
	"status_reason" text,
	"valid_until" date,
	"submitted_by" uuid,
	"serial_number" text,
	"manufacturer" text,
	"model" text,
	"hs_code" text,
	"value_amount" numeric(14, 2),
	"value_currency" text,
	"max_days_abroad" integer,
	"current_side" text,
	"return_by" timestamp with time zone,
	"quantity" double precision,
	"remaining_quantity" double precision,
	"unit" text,
	"cas_number" text,
	"hazard_class" text,
	"biosafety_level" integer,
	"permit_reference" text,
	"sha256" text,
	"size_bytes" bigint,
	"classification" text,
	"transfer_approval_reference" text,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "items_category_ck" CHECK ("items"."category" in ('equipment','reagent','biological_sample','data')),
	CONSTRAINT "items_status_ck" CHECK ("items"."status" in ('submitted','endorsed','approved','rejected','suspended','revoked')),
	CONSTRAINT "items_equipment_ck" CHECK ("items"."category" <> 'equipment' or ("items"."serial_number" is not null and "items"."current_side" is not null)),
	CONSTRAINT "items_consumable_ck" CHECK ("items"."category" not in ('reagent','biological_sample') or ("items"."quantity" is not null and "items"."remaining_quantity" is not null and "items"."remaining_quantity" >= 0)),
	CONSTRAINT "items_data_ck" CHECK ("items"."category" <> 'data' or ("items"."sha256" is not null and "items"."classification" is not null))
);
--> statement-breakpoint
ALTER TABLE "item_custodians" ADD CONSTRAINT "item_custodians_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "item_custodians" ADD CONSTRAINT "item_custodians_researcher_id_researchers_id_fk" FOREIGN KEY ("researcher_id") REFERENCES "public"."researchers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "items" ADD CONSTRAINT "items_institution_id_institutions_id_fk" FOREIGN KEY ("institution_id") REFERENCES "public"."institutions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "items" ADD CONSTRAINT "items_submitted_by_researchers_id_fk" FOREIGN KEY ("submitted_by") REFERENCES "public"."researchers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "item_custodians_researcher_idx" ON "item_custodians" USING btree ("researcher_id");--> statement-breakpoint
CREATE INDEX "items_institution_idx" ON "items" USING btree ("institution_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "items_institution_serial_uq" ON "items" USING btree ("institution_id","serial_number") WHERE "items"."serial_number" is not null;--> statement-breakpoint
CREATE INDEX "items_serial_idx" ON "items" USING btree ("serial_number");--> statement-breakpoint
CREATE INDEX "items_overdue_idx" ON "items" USING btree ("return_by") WHERE "items"."return_by" is not null;