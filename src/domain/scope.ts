// Who may see and change what: the object scope rules as plain predicates. Outside its
// scope a caller learns nothing (the HTTP layer answers the same 404 as for nothing).

export const ROLES = ['supervisor', 'officer', 'institution_admin', 'researcher', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, as carried by the JWT. */
export interface Principal {
  /** User id, or the API client's id for client_credentials tokens. */
  sub: string;
  kind: 'user' | 'client';
  role: Role;
  username?: string;
  institutionId?: string;
  researcherId?: string;
  checkpoint?: string;
}

/** Supervisors and auditors see every institution; its admins and researchers their own. */
export function canSeeInstitution(p: Principal, institutionId: string): boolean {
  if (p.role === 'supervisor' || p.role === 'auditor') return true;
  if (p.role === 'institution_admin' || p.role === 'researcher') return p.institutionId === institutionId;
  return false;
}

/** Supervisors manage any institution; an institution admin (or its API client) its own. */
export function managesInstitution(p: Principal, institutionId: string): boolean {
  return p.role === 'supervisor' || (p.role === 'institution_admin' && p.institutionId === institutionId);
}

/** Supervisors see every researcher, an institution admin its institution's, a researcher only self. */
export function canSeeResearcher(p: Principal, r: { id: string; institutionId: string }): boolean {
  if (p.role === 'supervisor') return true;
  if (p.role === 'institution_admin') return p.institutionId === r.institutionId;
  if (p.role === 'researcher') return p.researcherId === r.id;
  return false;
}

export function canManageResearcher(p: Principal, r: { institutionId: string }): boolean {
  return managesInstitution(p, r.institutionId);
}

/**
 * Supervisors and officers (who check items at the border) see every item; an
 * institution admin those of its institution; a researcher those they may carry.
 */
export function canSeeItem(p: Principal, item: { institutionId: string }, custodianIds: readonly string[]): boolean {
  switch (p.role) {
    case 'supervisor':
    case 'officer':
      return true;
    case 'institution_admin':
      return p.institutionId === item.institutionId;
    case 'researcher':
      return p.researcherId !== undefined && custodianIds.includes(p.researcherId);
    default:
      return false;
  }
}
