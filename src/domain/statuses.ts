// Every status, kind and side of the domain, and the transitions between statuses: one
// definition each, reused by the drizzle schema, the zod schemas and the decision.

export const SIDES = ['SZ', 'HK'] as const;
export type Side = (typeof SIDES)[number];

export const DIRECTIONS = ['SZ_TO_HK', 'HK_TO_SZ'] as const;
export type Direction = (typeof DIRECTIONS)[number];

export const INSTITUTION_KINDS = ['university', 'research_institute', 'enterprise', 'hospital', 'other'] as const;
export const INSTITUTION_STATUSES = ['active', 'suspended'] as const;
export type InstitutionStatus = (typeof INSTITUTION_STATUSES)[number];

export const RESEARCHER_STATUSES = ['nominated', 'approved', 'rejected', 'suspended', 'revoked'] as const;
export type ResearcherStatus = (typeof RESEARCHER_STATUSES)[number];
/** What responses report: `expired` is computed (approved, and validUntil before today at the border). */
export const REPORTED_RESEARCHER_STATUSES = [...RESEARCHER_STATUSES, 'expired'] as const;
export type ReportedResearcherStatus = (typeof REPORTED_RESEARCHER_STATUSES)[number];

/** `revoked`: its researcher was revoked (final); the document no longer holds its place on the whitelist. */
export const DOCUMENT_STATUSES = ['pending', 'approved', 'rejected', 'revoked'] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];

export const ITEM_CATEGORIES = ['equipment', 'reagent', 'biological_sample', 'data'] as const;
export type ItemCategory = (typeof ITEM_CATEGORIES)[number];
export const ITEM_STATUSES = ['submitted', 'endorsed', 'approved', 'rejected', 'suspended', 'revoked'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];
export const DATA_CLASSIFICATIONS = ['public', 'internal', 'personal_information', 'important_data'] as const;
export type DataClassification = (typeof DATA_CLASSIFICATIONS)[number];

export const DECISIONS = ['CLEARED', 'FLAGGED'] as const;
export const INSPECTION_OUTCOMES = ['RELEASED', 'DETAINED', 'REFUSED_ENTRY'] as const;
export const USER_STATUSES = ['active', 'disabled'] as const;

/** An institution's suspension by a supervisor (its researchers are flagged at the border meanwhile). */
export const INSTITUTION_TRANSITIONS = {
  suspend: { from: ['active'], to: 'suspended' },
  reinstate: { from: ['suspended'], to: 'active' },
} as const satisfies Record<string, { from: readonly InstitutionStatus[]; to: InstitutionStatus }>;
export type InstitutionAction = keyof typeof INSTITUTION_TRANSITIONS;

/** A researcher's workflow: which statuses each action starts from, where it leads, and who may take it. */
export const RESEARCHER_TRANSITIONS = {
  approve: { from: ['nominated', 'approved'], to: 'approved', roles: ['supervisor'] },
  reject: { from: ['nominated'], to: 'rejected', roles: ['supervisor'] },
  suspend: { from: ['approved'], to: 'suspended', roles: ['supervisor', 'institution_admin'] },
  reinstate: { from: ['suspended'], to: 'approved', roles: ['supervisor'] },
  revoke: { from: ['nominated', 'approved', 'rejected', 'suspended'], to: 'revoked', roles: ['supervisor'] },
} as const satisfies Record<string, { from: readonly ResearcherStatus[]; to: ResearcherStatus; roles: readonly string[] }>;
export type ResearcherAction = keyof typeof RESEARCHER_TRANSITIONS;

/** An identity document's vetting by a supervisor (a nomination's documents are approved with it). */
export const DOCUMENT_TRANSITIONS = {
  approve: { from: ['pending'], to: 'approved' },
  reject: { from: ['pending', 'approved'], to: 'rejected' },
} as const satisfies Record<string, { from: readonly DocumentStatus[]; to: DocumentStatus }>;

/** An item's workflow: endorse by its institution, the rest by a supervisor. */
export const ITEM_TRANSITIONS = {
  endorse: { from: ['submitted'], to: 'endorsed' },
  approve: { from: ['endorsed', 'approved'], to: 'approved' },
  reject: { from: ['submitted', 'endorsed'], to: 'rejected' },
  suspend: { from: ['approved'], to: 'suspended' },
  reinstate: { from: ['suspended'], to: 'approved' },
  revoke: { from: ['submitted', 'endorsed', 'approved', 'rejected', 'suspended'], to: 'revoked' },
} as const satisfies Record<string, { from: readonly ItemStatus[]; to: ItemStatus }>;
export type ItemAction = keyof typeof ITEM_TRANSITIONS;

/** May `action` be taken from `status`? */
export function allowedFrom<S extends string>(transition: { from: readonly S[] }, status: string): status is S {
  return (transition.from as readonly string[]).includes(status);
}
