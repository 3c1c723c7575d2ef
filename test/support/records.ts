import { randomBytes } from 'node:crypto';
import type { Db } from '../../src/db/client.js';
import { institutions, researchers } from '../../src/db/schema.js';
import { uuidv7 } from '../../src/lib/ids.js';

/** Direct inserts for tests that need a record to exist before its API is under test. */
export async function insertInstitution(
  db: Db,
  values: Partial<typeof institutions.$inferInsert> = {},
): Promise<typeof institutions.$inferSelect> {
  const [row] = await db
    .insert(institutions)
    .values({
      id: uuidv7(),
      name: `Test University ${randomBytes(3).toString('hex')}`,
      side: 'HK',
      kind: 'university',
      registrationNumber: `REG-${randomBytes(4).toString('hex')}`,
      ...values,
    })
    .returning();
  return row!;
}

export async function insertResearcher(
  db: Db,
  values: Partial<typeof researchers.$inferInsert> & { institutionId: string },
): Promise<typeof researchers.$inferSelect> {
  const [row] = await db
    .insert(researchers)
    .values({
      id: uuidv7(),
      fullName: 'CHAN TAI MAN',
      nameZh: '陳大文',
      dateOfBirth: '1985-04-12',
      nationality: 'CHN',
      email: `r${randomBytes(3).toString('hex')}@example.edu.hk`,
      ...values,
    })
    .returning();
  return row!;
}
