import type { ItemRow } from './queries.js';
import type { ItemView } from './schemas.js';

/** The Item answer: common fields plus those of its category, nothing else. */
export function presentItem(row: ItemRow, custodianIds: string[]): ItemView {
  const base = {
    id: row.id,
    institutionId: row.institutionId,
    name: row.name,
    description: row.description,
    homeSide: row.homeSide,
    status: row.status,
    statusReason: row.statusReason,
    validUntil: row.validUntil,
    custodianIds,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
  switch (row.category) {
    case 'equipment':
      return {
        ...base,
        category: 'equipment',
        serialNumber: row.serialNumber!,
        manufacturer: row.manufacturer ?? '',
        model: row.model ?? '',
        hsCode: row.hsCode ?? '',
        valueAmount: Number(row.valueAmount ?? 0),
        valueCurrency: row.valueCurrency ?? '',
        maxDaysAbroad: row.maxDaysAbroad,
        currentSide: row.currentSide ?? row.homeSide,
        returnBy: row.returnBy ? row.returnBy.toISOString() : null,
      };
    case 'reagent':
      return {
        ...base,
        category: 'reagent',
        quantity: row.quantity!,
        remainingQuantity: row.remainingQuantity!,
        unit: row.unit ?? '',
        casNumber: row.casNumber ?? '',
        hazardClass: row.hazardClass,
        hsCode: row.hsCode,
      };
    case 'biological_sample':
      return {
        ...base,
        category: 'biological_sample',
        quantity: row.quantity!,
        remainingQuantity: row.remainingQuantity!,
        unit: row.unit ?? '',
        biosafetyLevel: row.biosafetyLevel ?? 1,
        permitReference: row.permitReference,
      };
    case 'data':
      return {
        ...base,
        category: 'data',
        sha256: row.sha256!,
        sizeBytes: Number(row.sizeBytes ?? 0),
        classification: row.classification!,
        transferApprovalReference: row.transferApprovalReference,
      };
  }
}
