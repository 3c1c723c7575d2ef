// The steps of a load on one connection: accounts, institutions, then the researchers chunk by chunk.
import type pg from 'pg';
import { hashSecret } from '../../src/auth/passwords.js';
import { DocumentFactory } from './documents.js';
import { type GeneratorContext, generateResearcher } from './generate.js';
import { type InstitutionSpec, makeInstitution, type Side } from './institutions.js';
import type { IdGen, Rng } from './random.js';
import { insertBatch, newBatch } from './rows.js';

export const BENCH_PASSWORD = 'hetao-bench-password';

const CHUNK = 4000;
const COMMIT_EVERY = 250_000;

/** Accounts: an officer per checkpoint, a supervisor and an auditor; one argon2 hash for all. */
export async function insertAccounts(loader: pg.Client, ids: IdGen) {
  const { rows: cps } = await loader.query<{ code: string }>('select code from checkpoints order by code');
  const passwordHash = await hashSecret(BENCH_PASSWORD);
  const officers = new Map<string, string>();
  const userRows: [string, string, string, string | null][] = [];
  for (const { code } of cps) {
    const id = ids.next();
    officers.set(code, id);
    userRows.push([id, `bench-officer-${code.toLowerCase()}`, 'officer', code]);
  }
  userRows.push([ids.next(), 'bench-supervisor', 'supervisor', null], [ids.next(), 'bench-auditor', 'auditor', null]);
  await loader.query(
    `insert into users (id, username, password_hash, role, checkpoint)
     select id, username, $5, role, checkpoint from unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) as u(id, username, role, checkpoint)`,
    [userRows.map((u) => u[0]), userRows.map((u) => u[1]), userRows.map((u) => u[2]), userRows.map((u) => u[3]), passwordHash],
  );
  return { officers, checkpoints: cps.map((c) => c.code), users: userRows.length };
}

/** Institutions: about one per 500 researchers, on both sides, of uneven size (`cumulative` weights the pick). */
export async function insertInstitutions(loader: pg.Client, rng: Rng, ids: IdGen, researchers: number) {
  const institutionCount = Math.max(4, Math.round(researchers / 500));
  const seen = new Set<string>();
  const institutions: InstitutionSpec[] = [];
  const cumulative = new Float64Array(institutionCount);
  let acc = 0;
  for (let i = 0; i < institutionCount; i++) {
    const side: Side = i % 20 < 11 ? 'SZ' : 'HK';
    institutions.push(makeInstitution(rng, i + 1, ids.next(), side, seen));
    const w = 0.2 + rng.float() * 1.8;
    acc += w * w;
    cumulative[i] = acc;
  }
  await loader.query(
    `insert into institutions (id, name, name_zh, side, kind, registration_number, status, status_reason)
     select * from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])`,
    [
      institutions.map((i) => i.id),
      institutions.map((i) => i.name),
      institutions.map((i) => i.nameZh),
      institutions.map((i) => i.side),
      institutions.map((i) => i.kind),
      institutions.map((i) => i.registrationNumber),
      institutions.map((i) => i.status),
      institutions.map((i) => (i.status === 'suspended' ? 'Licence under review' : null)),
    ],
  );
  return { institutions, cumulative };
}

/** The generator's state over the whole load. */
export function generatorContext(
  rng: Rng,
  ids: IdGen,
  clock: { nowMs: number; today: number },
  accounts: Awaited<ReturnType<typeof insertAccounts>>,
  inst: Awaited<ReturnType<typeof insertInstitutions>>,
  sampleSize: number,
): GeneratorContext {
  return {
    rng,
    ids,
    docs: new DocumentFactory(rng),
    institutions: inst.institutions,
    cumulative: inst.cumulative,
    lastOfInstitution: new Array<string | undefined>(inst.institutions.length),
    officers: accounts.officers,
    checkpoints: accounts.checkpoints,
    nowMs: clock.nowMs,
    today: clock.today,
    serial: 1_000_000,
    sample: [],
    sampleSize,
    docsSeen: 0,
    counts: {
      institutions: inst.institutions.length,
      users: accounts.users,
      researchers: 0,
      identity_documents: 0,
      items: 0,
      item_custodians: 0,
      crossings: 0,
      item_movements: 0,
      travellers_with_history: 0,
    },
  };
}

/** Generates and inserts n researchers, a chunk a statement, committing every COMMIT_EVERY. */
export async function loadResearchers(loader: pg.Client, ctx: GeneratorContext, n: number, io: { err(line: string): void }, t0: number): Promise<void> {
  await loader.query('begin');
  let pending: Promise<void> | undefined;
  let sinceCommit = 0;
  let lastReport = performance.now();
  for (let start = 0; start < n; start += CHUNK) {
    const end = Math.min(n, start + CHUNK);
    const batch = newBatch();
    for (let i = start; i < end; i++) generateResearcher(ctx, batch);
    // Postgres inserts chunk k while this process generates chunk k+1.
    if (pending) await pending;
    if (sinceCommit >= COMMIT_EVERY) {
      await loader.query('commit');
      await loader.query('begin');
      sinceCommit = 0;
    }
    pending = insertBatch(loader, batch);
    pending.catch(() => {}); // awaited below; no unhandled rejection meanwhile
    sinceCommit += end - start;
    if (performance.now() - lastReport > 5000) {
      lastReport = performance.now();
      io.err(`  ${end.toLocaleString('en')} / ${n.toLocaleString('en')} researchers (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
  }
  if (pending) await pending;
  await loader.query('commit');
}
