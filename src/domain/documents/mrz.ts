/**
 * ICAO Doc 9303 machine readable zone (MRZ): parser, check digits and builders for
 * TD3 (passport booklets, 2 × 44 characters) and TD1 (ID cards, 3 × 30 characters).
 */
export { computeCheckDigit, type MrzData, type MrzError, type MrzErrorField, type MrzFormat, type MrzResult, type MrzSex } from './mrz-core.js';
export { parseMrz } from './mrz-parse.js';
export { buildTd1, buildTd3, TD1_MAX_DOCUMENT_NUMBER_LENGTH, type Td1Input, type Td3Input } from './mrz-build.js';
