import type { identityDocuments, researchers } from '../../db/schema.js';
import type { ReportedResearcherStatus } from './schemas.js';

export type ResearcherRow = typeof researchers.$inferSelect;
export type DocumentRow = typeof identityDocuments.$inferSelect;

/** `expired` is computed: approved, and validUntil (inclusive) before today at the border. */
export function reportedStatus(r: Pick<ResearcherRow, 'status' | 'validUntil'>, today: string): ReportedResearcherStatus {
  if (r.status === 'approved' && r.validUntil !== null && r.validUntil < today) return 'expired';
  return r.status;
}

export function presentDocument(d: DocumentRow) {
  return {
    id: d.id,
    kind: d.kind,
    number: d.number,
    issuingCountry: d.issuingCountry,
    expiresOn: d.expiresOn,
    status: d.status,
    statusReason: d.statusReason,
  };
}

export function presentResearcher(r: ResearcherRow, docs: DocumentRow[], today: string) {
  return {
    id: r.id,
    institutionId: r.institutionId,
    fullName: r.fullName,
    nameZh: r.nameZh,
    dateOfBirth: r.dateOfBirth,
    nationality: r.nationality,
    email: r.email,
    status: reportedStatus(r, today),
    statusReason: r.statusReason,
    validFrom: r.validFrom,
    validUntil: r.validUntil,
    documents: docs.map(presentDocument),
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** Document numbers are identifiers of a person and the audit log keeps them forever: only their tail. */
export function maskNumber(n: string): string {
  return n.length <= 4 ? '*'.repeat(n.length) : `${'*'.repeat(n.length - 3)}${n.slice(-3)}`;
}

export function auditDocument(d: Pick<DocumentRow, 'id' | 'kind' | 'number' | 'issuingCountry' | 'expiresOn' | 'status'>) {
  return { id: d.id, kind: d.kind, number: maskNumber(d.number), issuingCountry: d.issuingCountry, expiresOn: d.expiresOn, status: d.status };
}

/** What the audit log records of a researcher: the stored state, document numbers masked. */
export function auditResearcher(r: ResearcherRow, docs?: DocumentRow[]) {
  return {
    id: r.id,
    institutionId: r.institutionId,
    fullName: r.fullName,
    nameZh: r.nameZh,
    dateOfBirth: r.dateOfBirth,
    nationality: r.nationality,
    email: r.email,
    status: r.status,
    statusReason: r.statusReason,
    validFrom: r.validFrom,
    validUntil: r.validUntil,
    version: r.version,
    ...(docs ? { documents: docs.map(auditDocument) } : {}),
  };
}
