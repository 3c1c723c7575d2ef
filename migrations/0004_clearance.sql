CREATE TABLE "crossing_items" (
	"crossing_id" uuid NOT NULL,
	"line" integer NOT NULL,
	"item_id" uuid,
	"serial_number" text,
	"quantity" double precision,
	"sha256" text,
	CONSTRAINT "crossing_items_crossing_id_line_pk" PRIMARY KEY("crossing_id","line")
);
--> statement-breakpoint
CREATE TABLE "crossings" (
	"id" uuid PRIMARY KEY NOT NULL,
	"checkpoint" text NOT NULL,
	"direction" text NOT NULL,
	"officer_id" uuid NOT NULL,
	"researcher_id" uuid,
	"institution_id" uuid,
	"document_kind" text NOT NULL,
	"document_number" text NOT NULL,
	"via_mrz" boolean DEFAULT false NOT NULL,
	"decision" text NOT NULL,
	"reasons" jsonb NOT NULL,
	"reason_codes" text[] NOT NULL,
	"decided_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "inspections" (
	"id" uuid PRIMARY KEY NOT NULL,
	"crossing_id" uuid NOT NULL,
	"outcome" text NOT NULL,
	"notes" text NOT NULL,
	"officer_id" uuid NOT NULL,
	"checkpoint" text NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "item_movements" (
	"id" uuid PRIMARY KEY NOT NULL,
	"item_id" uuid NOT NULL,
	"crossing_id" uuid NOT NULL,
	"inspection_id" uuid,
	"kind" text NOT NULL,
	"from_side" text,
	"to_side" text,
	"quantity" double precision,
	"remaining_after" double precision,
	"return_by" timestamp with time zone,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "crossing_items" ADD CONSTRAINT "crossing_items_crossing_id_crossings_id_fk" FOREIGN KEY ("crossing_id") REFERENCES "public"."crossings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crossing_items" ADD CONSTRAINT "crossing_items_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crossings" ADD CONSTRAINT "crossings_checkpoint_checkpoints_code_fk" FOREIGN KEY ("checkpoint") REFERENCES "public"."checkpoints"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crossings" ADD CONSTRAINT "crossings_researcher_id_researchers_id_fk" FOREIGN KEY ("researcher_id") REFERENCES "public"."researchers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "crossings" ADD CONSTRAINT "crossings_institution_id_institutions_id_fk" FOREIGN KEY ("institution_id") REFERENCES "public"."institutions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inspections" ADD CONSTRAINT "inspections_crossing_id_crossings_id_fk" FOREIGN KEY ("crossing_id") REFERENCES "public"."crossings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "item_movements" ADD CONSTRAINT "item_movements_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "item_movements" ADD CONSTRAINT "item_movements_crossing_id_crossings_id_fk" FOREIGN KEY ("crossing_id") REFERENCES "public"."crossings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "crossing_items_item_idx" ON "crossing_items" USING btree ("item_id");--> statement-breakpoint
CREATE INDEX "crossings_checkpoint_idx" ON "crossings" USING btree ("checkpoint","decided_at");--> statement-breakpoint
CREATE INDEX "crossings_decided_idx" ON "crossings" USING btree ("decided_at");--> statement-breakpoint
CREATE INDEX "crossings_institution_idx" ON "crossings" USING btree ("institution_id","decided_at");--> statement-breakpoint
CREATE INDEX "crossings_researcher_idx" ON "crossings" USING btree ("researcher_id","decided_at");--> statement-breakpoint
CREATE UNIQUE INDEX "inspections_crossing_uq" ON "inspections" USING btree ("crossing_id");--> statement-breakpoint
CREATE INDEX "item_movements_item_idx" ON "item_movements" USING btree ("item_id","at");