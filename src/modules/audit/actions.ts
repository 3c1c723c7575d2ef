/**
 * The actions the service writes to the audit log, for the list's `action` filter:
 * an unknown one is a 422 that lists these. test/foundation/audit-list.test.ts checks
 * that every action literal in src is here; the list also accepts any action already
 * in the log, so an action missed here is never refused once it has been written.
 */
export const AUDIT_ACTIONS = [
  'api_client.create',
  'api_client.revoke',
  'auth.token_denied',
  'auth.token_issued',
  'auth.token_throttled',
  'checkpoint.create',
  'clearance.lookup',
  'clearance.lookup_no_match',
  'crossing.decide',
  'crossing.inspection',
  'institution.create',
  'institution.reinstate',
  'institution.suspend',
  'institution.update',
  'item.approve',
  'item.create',
  'item.endorse',
  'item.reinstate',
  'item.reject',
  'item.revoke',
  'item.suspend',
  'item.update',
  'researcher.approve',
  'researcher.document_add',
  'researcher.document_remove',
  'researcher.nominate',
  'researcher.reinstate',
  'researcher.reject',
  'researcher.revoke',
  'researcher.suspend',
  'researcher.update',
  'seed.synthetic',
  'user.bootstrap',
  'user.create',
  'user.disable',
  'user.enable',
] as const;
