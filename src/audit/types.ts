export interface AuditEntry {
  /** Who: a user id, `client:<clientId>`, `cli`, `system` or `anonymous`. */
  actor: string;
  role: string;
  /** What, as `noun.verb`: `user.create`, `auth.token_denied`, `checkpoint.create`… */
  action: string;
  /** The object concerned: `user:<id>`, `checkpoint:<code>`… */
  subject?: string | null;
  data?: Record<string, unknown>;
  /** When it happened, if not the time of the append (events appended in a batch). */
  at?: Date;
}

export interface StoredAuditEvent {
  seq: number;
  at: Date;
  actor: string;
  role: string;
  action: string;
  subject: string | null;
  data: unknown;
  prevHash: string;
  hash: string;
}

export interface ChainHead {
  seq: number;
  hash: string;
}
