import { ForbiddenError, NotFoundError } from '../errors.js';
import type { Principal } from './principal.js';

/**
 * Object scope. Outside its scope a caller learns nothing: the answer is the
 * same 404 as for an object that does not exist.
 */
export function canSeeInstitution(p: Principal, institutionId: string): boolean {
  if (p.role === 'supervisor' || p.role === 'auditor') return true;
  if (p.role === 'institution_admin' || p.role === 'researcher') return p.institutionId === institutionId;
  return false;
}

export function assertInstitutionScope(p: Principal, institutionId: string, what = 'Institution'): void {
  if (!canSeeInstitution(p, institutionId)) throw new NotFoundError(what);
}

/** Institution admins act on their own institution only; supervisors on any. */
export function assertManagesInstitution(p: Principal, institutionId: string, what = 'Institution'): void {
  if (p.role === 'supervisor') return;
  if (p.role === 'institution_admin' && p.institutionId === institutionId) return;
  if (p.role === 'institution_admin' || p.role === 'researcher') throw new NotFoundError(what);
  throw new ForbiddenError();
}

export function assertHumanUser(p: Principal): void {
  if (p.kind !== 'user') throw new ForbiddenError('API clients cannot do this; sign in as a person');
}
