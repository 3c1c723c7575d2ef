import type { ApiClientRow, UserRow } from './queries.js';

export function presentUser(u: UserRow) {
  return {
    id: u.id,
    username: u.username,
    role: u.role,
    institutionId: u.institutionId,
    researcherId: u.researcherId,
    checkpoint: u.checkpoint,
    status: u.status,
    createdAt: u.createdAt.toISOString(),
  };
}

/** An API client as listed: never its secret (nor its hash). */
export function presentClient(c: ApiClientRow) {
  return {
    id: c.id,
    clientId: c.clientId,
    institutionId: c.institutionId,
    name: c.name,
    createdAt: c.createdAt.toISOString(),
    revokedAt: c.revokedAt ? c.revokedAt.toISOString() : null,
  };
}
