// Types for the Hetao clearance decision (Shenzhen – Hong Kong border whitelist).
// The decision itself lives in ./decide.ts and is a pure function of these values.

import type { DataClassification, Direction, DocumentStatus, ItemCategory, ItemStatus, ResearcherStatus, Side } from '../statuses.js';

export type { DataClassification, Direction, DocumentStatus, ItemCategory, ItemStatus, ResearcherStatus, Side };

export const REASON_CODES = [
  'TRAVELLER_NOT_WHITELISTED',
  'TRAVELLER_NOT_APPROVED',
  'TRAVELLER_SUSPENDED',
  'WHITELIST_EXPIRED',
  'INSTITUTION_SUSPENDED',
  'DOCUMENT_EXPIRED',
  'DOCUMENT_DATA_MISMATCH',
  'DOCUMENT_NOT_APPROVED',
  'ITEM_NOT_REGISTERED',
  'ITEM_NOT_APPROVED',
  'ITEM_EXPIRED',
  'ITEM_NOT_IN_CUSTODY',
  'ITEM_LOCATION_MISMATCH',
  'QUANTITY_EXCEEDED',
  'DATA_DIGEST_MISMATCH',
  'DATA_TRANSFER_APPROVAL_MISSING',
  'RETURN_OVERDUE',
  'RANDOM_INSPECTION',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export interface Reason {
  code: ReasonCode;
  itemId?: string;
  /** Short English sentence for the officer. Never contains document numbers, birth dates or other MRZ values. */
  detail: string;
}

export interface TravellerRecord {
  researcherId: string;
  fullName: string;
  status: ResearcherStatus;
  validFrom: string | null; // 'YYYY-MM-DD'
  validUntil: string | null; // 'YYYY-MM-DD', inclusive
  dateOfBirth: string; // 'YYYY-MM-DD'
  nationality: string; // ISO 3166-1 alpha-3
  institution: { id: string; name: string; status: 'active' | 'suspended' };
  /** The document presented at the control point. */
  document: { kind: string; number: string; issuingCountry: string; expiresOn: string; status: DocumentStatus };
}

/** Facts read from a raw MRZ when the officer scanned one. */
export interface MrzFacts {
  dateOfBirth: string | null;
  nationality: string;
  expiresOn: string | null;
}

export interface ItemRecord {
  id: string;
  name: string;
  institutionId: string;
  category: ItemCategory;
  status: ItemStatus;
  validUntil: string | null; // 'YYYY-MM-DD' inclusive, set on approval
  custodianIds: string[]; // researcher ids allowed to carry it
  homeSide: Side;
  currentSide: Side | null; // equipment only
  returnBy: string | null; // equipment only, RFC 3339 timestamp while away from home
  remainingQuantity: number | null; // reagent / biological_sample
  unit: string | null;
  sha256: string | null; // data, lower-case hex
  classification: DataClassification | null; // data
  transferApprovalReference: string | null; // data
}

export interface DeclaredItem {
  ref: { itemId: string } | { serialNumber: string };
  item: ItemRecord | null; // null: nothing registered matches the ref
  quantity?: number; // for reagent / biological_sample
  sha256?: string; // for data
}

export interface DecisionInput {
  traveller: TravellerRecord | null; // null: no researcher matches the document
  mrz: MrzFacts | null;
  direction: Direction;
  declared: DeclaredItem[];
  heldItems: ItemRecord[]; // equipment of which the traveller is a custodian (for RETURN_OVERDUE)
  now: Date;
  config: { randomInspectionRate: number }; // 0..1
  random: () => number; // injectable, [0,1)
}

export interface Decision {
  decision: 'CLEARED' | 'FLAGGED';
  reasons: Reason[];
}
