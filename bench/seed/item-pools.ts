// The models, reagents, samples and datasets items are drawn from; checked once, loudly, at load.
import { validateCasNumber, validateHsCode } from '../../src/domain/documents/index.js';

export interface EquipmentModel {
  manufacturer: string;
  model: string;
  name: string;
  hsCode: string;
  value: [number, number];
  serialPrefix: string;
}
export const EQUIPMENT: readonly EquipmentModel[] = [
  { manufacturer: 'Apple', model: 'MacBook Pro 14 (M3)', name: 'Laptop computer', hsCode: '847130', value: [12_000, 22_000], serialPrefix: 'C02' },
  { manufacturer: 'Dell', model: 'Latitude 7440', name: 'Laptop computer', hsCode: '847130', value: [8_000, 14_000], serialPrefix: 'DL' },
  { manufacturer: 'Lenovo', model: 'ThinkPad X1 Carbon Gen 12', name: 'Laptop computer', hsCode: '847130', value: [9_000, 16_000], serialPrefix: 'PF' },
  { manufacturer: 'Thermo Fisher Scientific', model: 'NanoDrop One', name: 'Microvolume spectrophotometer', hsCode: '902730', value: [60_000, 90_000], serialPrefix: 'AZY' },
  { manufacturer: 'Olympus', model: 'CX23', name: 'Biological microscope', hsCode: '901180', value: [8_000, 15_000], serialPrefix: 'OCX' },
  { manufacturer: 'Keysight', model: 'DSOX1204G', name: 'Digital oscilloscope', hsCode: '903020', value: [9_000, 14_000], serialPrefix: 'CN6' },
  { manufacturer: 'Eppendorf', model: 'Centrifuge 5425', name: 'Microcentrifuge', hsCode: '842119', value: [15_000, 25_000], serialPrefix: '5405' },
  { manufacturer: 'Bio-Rad', model: 'T100', name: 'Thermal cycler', hsCode: '841989', value: [30_000, 45_000], serialPrefix: '621BR' },
  { manufacturer: 'Sartorius', model: 'Quintix 125D-1S', name: 'Analytical balance', hsCode: '901600', value: [20_000, 35_000], serialPrefix: 'SQ' },
  { manufacturer: 'FLIR', model: 'E8-XT', name: 'Thermal imaging camera', hsCode: '852589', value: [20_000, 30_000], serialPrefix: 'FE8' },
  { manufacturer: 'DJI', model: 'Matrice 350 RTK', name: 'Survey drone', hsCode: '880622', value: [60_000, 110_000], serialPrefix: '1ZN' },
  { manufacturer: 'Oxford Nanopore', model: 'MinION Mk1B', name: 'Portable DNA sequencer', hsCode: '902780', value: [8_000, 12_000], serialPrefix: 'MN' },
];

export interface ReagentSpec {
  name: string;
  cas: string;
  unit: string;
  hazardClass: string | null;
  hsCode: string | null;
}
export const REAGENTS: readonly ReagentSpec[] = [
  { name: 'Ethanol, absolute', cas: '64-17-5', unit: 'mL', hazardClass: '3', hsCode: '220710' },
  { name: 'Acetone', cas: '67-64-1', unit: 'mL', hazardClass: '3', hsCode: '291411' },
  { name: 'Methanol', cas: '67-56-1', unit: 'mL', hazardClass: '3', hsCode: '290511' },
  { name: 'Dimethyl sulfoxide', cas: '67-68-5', unit: 'mL', hazardClass: null, hsCode: '293090' },
  { name: 'Sodium chloride', cas: '7647-14-5', unit: 'g', hazardClass: null, hsCode: '250100' },
  { name: 'Tris base', cas: '77-86-1', unit: 'g', hazardClass: null, hsCode: '292219' },
  { name: 'Agarose', cas: '9012-36-6', unit: 'g', hazardClass: null, hsCode: '391390' },
  { name: 'Glycerol', cas: '56-81-5', unit: 'mL', hazardClass: null, hsCode: '290545' },
  { name: 'HEPES', cas: '7365-45-9', unit: 'g', hazardClass: null, hsCode: null },
  { name: 'EDTA', cas: '60-00-4', unit: 'g', hazardClass: null, hsCode: '292242' },
  { name: 'Hydrochloric acid 37%', cas: '7647-01-0', unit: 'mL', hazardClass: '8', hsCode: '280610' },
  { name: 'Sodium hydroxide', cas: '1310-73-2', unit: 'g', hazardClass: '8', hsCode: '281511' },
];

export interface SampleSpec {
  name: string;
  unit: string;
  bsl: number;
}
export const SAMPLES: readonly SampleSpec[] = [
  { name: 'Plasmid DNA (pUC19)', unit: 'vials', bsl: 1 },
  { name: 'E. coli K-12 strain', unit: 'vials', bsl: 1 },
  { name: 'Zebrafish embryos', unit: 'units', bsl: 1 },
  { name: 'HEK293 cell line', unit: 'vials', bsl: 2 },
  { name: 'Human serum samples', unit: 'mL', bsl: 2 },
  { name: 'Mouse tissue sections', unit: 'units', bsl: 2 },
];

export const DATASETS = [
  'Genome sequencing reads',
  'Climate model output',
  'Clinical trial dataset',
  'Satellite imagery tiles',
  'Training corpus for a language model',
  'Microscopy image set',
  'Traffic sensor recordings',
  'Materials simulation results',
] as const;

// The pools must hold valid values: check them once, loudly, rather than load bad data.
for (const r of REAGENTS) {
  if (!validateCasNumber(r.cas).ok) throw new Error(`synthetic-data: invalid CAS number ${r.cas}`);
  if (r.hsCode && !validateHsCode(r.hsCode).ok) throw new Error(`synthetic-data: invalid HS code ${r.hsCode}`);
}
for (const e of EQUIPMENT) {
  if (!validateHsCode(e.hsCode).ok) throw new Error(`synthetic-data: invalid HS code ${e.hsCode}`);
}
