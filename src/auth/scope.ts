import { ForbiddenError, NotFoundError } from '../errors.js';
import { canSeeInstitution, type Principal } from '../domain/scope.js';

// The scope rules live in src/domain/scope.ts; these turn them into HTTP answers:
// outside its scope a caller learns nothing (the same 404 as for nothing there).
export { canSeeInstitution };

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
