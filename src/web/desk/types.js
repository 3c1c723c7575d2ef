// @ts-check
// The shapes the desk reads from the API (JSDoc only).

/**
 * @typedef {{code: string, itemId?: string, detail: string}} Reason
 * @typedef {{id: string, name: string, category: string, status: string, validUntil: string | null,
 *   homeSide: string, currentSide: string | null, returnBy: string | null, overdue: boolean,
 *   remainingQuantity: number | null, unit: string | null, serialNumber: string | null, sha256: string | null}} CardItem
 * @typedef {{researcher: {fullName: string, nameZh: string | null, dateOfBirth: string, nationality: string, status: string,
 *   validFrom: string | null, validUntil: string | null},
 *   institution: {name: string, nameZh: string | null, side: string, status: string},
 *   whitelist: {status: string, validFrom: string | null, validUntil: string | null, inGoodStanding: boolean},
 *   document: {kind: string, number: string, issuingCountry: string, expiresOn: string, status: string},
 *   documentChecks: {expired: boolean, mrz: {dateOfBirthMatches: boolean, nationalityMatches: boolean, expiresOnMatches: boolean} | null},
 *   items: CardItem[], alerts: Reason[]}} Card
 * @typedef {{document: {kind: string, number: string}} | {mrz: string}} TravellerRef
 * @typedef {{id: string, decision: 'CLEARED' | 'FLAGGED', reasons: Reason[], direction: string, decidedAt: string,
 *   traveller: {fullName: string, nameZh: string | null} | null, document: {kind: string, number: string},
 *   inspection: {outcome: string} | null}} Crossing
 */

export {};
