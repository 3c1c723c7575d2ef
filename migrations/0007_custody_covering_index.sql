-- A traveller's custody as an index-only scan: the item ids come from the index, not from a heap visit per row.
CREATE INDEX "item_custodians_researcher_item_idx" ON "item_custodians" USING btree ("researcher_id","item_id");--> statement-breakpoint
DROP INDEX "item_custodians_researcher_idx";
