-- Hand-written: drizzle-kit emits neither extensions, triggers nor reference data.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint

-- The audit log is append-only: the database itself refuses to change or remove a row.
CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % is refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_events_no_update_delete
  BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
--> statement-breakpoint
CREATE TRIGGER audit_events_no_truncate
  BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();
--> statement-breakpoint

-- The Shenzhen–Hong Kong land control points, and the Futian bonded-zone channel
-- through which designated staff hand-carry research goods to the Hetao zone.
INSERT INTO checkpoints (code, name_en, name_zh, hetao_lane) VALUES
  ('LOW', 'Lo Wu', '罗湖', false),
  ('LMC_SPUR', 'Lok Ma Chau Spur Line / Futian', '落马洲支线 / 福田', false),
  ('LMC', 'Lok Ma Chau / Huanggang', '落马洲 / 皇岗', true),
  ('SZB', 'Shenzhen Bay', '深圳湾', false),
  ('HYW', 'Heung Yuen Wai / Liantang', '香园围 / 莲塘', false),
  ('MKT', 'Man Kam To / Wenjindu', '文锦渡', false),
  ('STK', 'Sha Tau Kok / Shatoujiao', '沙头角', false),
  ('FTB1', 'Futian Bonded Zone No.1 Channel', '福田保税区一号通道', true)
ON CONFLICT (code) DO NOTHING;
