import type { institutions } from '../../db/schema.js';

export type InstitutionRow = typeof institutions.$inferSelect;

export function presentInstitution(r: InstitutionRow) {
  return {
    id: r.id,
    name: r.name,
    nameZh: r.nameZh,
    side: r.side,
    kind: r.kind,
    registrationNumber: r.registrationNumber,
    status: r.status,
    statusReason: r.statusReason,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** The audit view: the stored state with its version. */
export function auditInstitution(r: InstitutionRow) {
  return { ...presentInstitution(r), version: r.version };
}
