// The workloads (lookups, crossings that keep clearing) and the data they draw on: document samples,
// travellers with equipment, officers' tokens; and pg_prewarm of a dataset.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type autocannon from 'autocannon';
import { BENCH_PASSWORD, sampleFileOf, type SeedSummary } from '../seed/seed.js';
import { withClient } from './measure.js';
import { httpJson } from './processes.js';

export interface Doc {
  kind: string;
  number: string;
  issuingCountry?: string;
}

export interface Officer {
  username: string;
  checkpoint: string;
  token: string;
}

export interface Traveller {
  kind: string;
  number: string;
  itemId: string;
  side: 'SZ' | 'HK';
  busy: boolean;
  stale: boolean;
}

export class CrossingState {
  next = 0;
  cleared = 0;
  flagged = 0;
  other = 0;
  reasons = new Map<string, number>();
  constructor(readonly travellers: Traveller[]) {}
  take(): Traveller {
    for (let k = 0; k < this.travellers.length; k++) {
      const t = this.travellers[this.next++ % this.travellers.length]!;
      if (!t.busy && !t.stale) {
        t.busy = true;
        return t;
      }
    }
    throw new Error('bench: every traveller is busy; load more travellers');
  }
  resetCounts(): void {
    this.cleared = 0;
    this.flagged = 0;
    this.other = 0;
    this.reasons.clear();
  }
}

export function lookupSetup(sample: Doc[], tokens: string[]) {
  let n = 0;
  return (client: autocannon.Client) => {
    const token = tokens[n++ % tokens.length]!;
    client.setRequests([
      {
        method: 'POST',
        path: '/v1/clearance/lookup',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        setupRequest: (req) => {
          const d = sample[Math.floor(Math.random() * sample.length)]!;
          req.body = JSON.stringify({ document: { kind: d.kind, number: d.number } });
          return req;
        },
      },
    ]);
  };
}

export function crossingSetup(state: CrossingState, officers: Officer[]) {
  let n = 0;
  return (client: autocannon.Client) => {
    const officer = officers[n++ % officers.length]!;
    let current: Traveller | undefined;
    client.setRequests([
      {
        method: 'POST',
        path: '/v1/crossings',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${officer.token}` },
        setupRequest: (req) => {
          // A request that never got its answer (a timeout): its traveller's state is unknown now.
          if (current) current.stale = true;
          const t = state.take();
          current = t;
          req.headers = { ...req.headers, 'idempotency-key': randomUUID() };
          req.body = JSON.stringify({
            checkpoint: officer.checkpoint,
            direction: t.side === 'SZ' ? 'SZ_TO_HK' : 'HK_TO_SZ',
            traveller: { document: { kind: t.kind, number: t.number } },
            items: [{ itemId: t.itemId }],
          });
          return req;
        },
        onResponse: (status, body) => {
          const t = current;
          current = undefined;
          if (!t) return;
          t.busy = false;
          if (status !== 201) {
            state.other += 1;
            return;
          }
          if (/"decision":"CLEARED"/.test(body)) {
            t.side = t.side === 'SZ' ? 'HK' : 'SZ';
            state.cleared += 1;
          } else {
            state.flagged += 1;
            for (const m of body.matchAll(/"code":"([A-Z_]+)"/g)) state.reasons.set(m[1]!, (state.reasons.get(m[1]!) ?? 0) + 1);
          }
        },
      },
    ]);
  };
}

/**
 * Reads every table and index of a dataset, so that its pages are in the machine's page
 * cache when it is measured, as a deployment's working set is after hours of lookups: on
 * this VM the kernel (kdamond) takes cold pages back between runs, and a 1 M dataset
 * (2.3 GB) then answers from the disk for minutes. pg_prewarm's 'buffer' mode reads into
 * Postgres's own buffers (where the dataset fits in them), 'read' into the page cache
 * only; answers how long it took and how, or null where the extension is missing.
 */
export async function prewarm(url: string): Promise<{ seconds: number; mode: 'buffer' | 'read' } | null> {
  return withClient(url, async (c) => {
    const t0 = Date.now();
    try {
      await c.query('create extension if not exists pg_prewarm');
      // Into Postgres's own buffers when the dataset fits in them (the bench cluster), else into the page cache.
      const { rows } = await c.query<{ fits: boolean }>(
        `select pg_database_size(current_database()) < 0.9 * (select setting::bigint * current_setting('block_size')::bigint
                                                                  from pg_settings where name = 'shared_buffers') as fits`,
      );
      const mode = rows[0]?.fits ? 'buffer' : 'read';
      await c.query(`select sum(pg_prewarm(c.oid, '${mode}')) from pg_class c
                      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'i', 'm')`);
      return { seconds: (Date.now() - t0) / 1000, mode };
    } catch {
      return null;
    }
  });
}

/** The seeder's sample file when it belongs to this seed; else a random sample read with TABLESAMPLE. */
export async function documentSample(seed: SeedSummary): Promise<Doc[]> {
  const file = sampleFileOf(seed.database);
  if (existsSync(file)) {
    const data = JSON.parse(readFileSync(file, 'utf8')) as { seededAt?: string; documents?: Doc[] };
    if (data.seededAt === seed.seededAt && data.documents?.length) return data.documents;
  }
  return withClient(seed.url, async (c) => {
    const total = seed.counts.identity_documents ?? 1;
    const pct = Math.min(100, (20_000 * 1.5 * 100) / total);
    const { rows } = await c.query<Doc>(
      `select kind, number, issuing_country as "issuingCountry" from identity_documents tablesample bernoulli (${pct.toFixed(4)}) limit 20000`,
    );
    return rows;
  });
}

/** Approved travellers in good standing, each with an approved laptop or instrument they may carry. */
export async function loadTravellers(url: string, wanted: number): Promise<Traveller[]> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ kind: string; number: string; item_id: string; current_side: 'SZ' | 'HK' }>(
      `select d.kind, d.number, it.id as item_id, it.current_side
         from researchers r
         join institutions i on i.id = r.institution_id and i.status = 'active'
         join item_custodians c on c.researcher_id = r.id
         join items it on it.id = c.item_id
         join lateral (select d.kind, d.number from identity_documents d
                        where d.researcher_id = r.id and d.kind <> 'passport' and d.expires_on > current_date + 2
                        order by d.kind limit 1) d on true
        where r.status = 'approved' and r.valid_from < current_date - 1 and r.valid_until > current_date + 2
          and it.category = 'equipment' and it.status = 'approved' and it.valid_until > current_date + 2
          and (it.current_side = it.home_side or it.return_by > now() + interval '2 days')
          and not exists (select 1 from item_custodians c2 join items i2 on i2.id = c2.item_id
                           where c2.researcher_id = r.id and i2.return_by < now() + interval '2 days')
        limit $1`,
      [wanted * 2],
    );
    const seen = new Set<string>();
    const out: Traveller[] = [];
    for (const r of rows) {
      if (seen.has(r.item_id) || seen.has(`${r.kind}:${r.number}`)) continue;
      seen.add(r.item_id);
      seen.add(`${r.kind}:${r.number}`);
      out.push({ kind: r.kind, number: r.number, itemId: r.item_id, side: r.current_side, busy: false, stale: false });
      if (out.length >= wanted) break;
    }
    return out;
  });
}

/** Where each laptop is now, as the database says (a measurement stopped mid-request leaves some unknown). */
export async function refreshTravellers(url: string, travellers: Traveller[]): Promise<void> {
  await withClient(url, async (c) => {
    const { rows } = await c.query<{ id: string; current_side: 'SZ' | 'HK' }>(`select id, current_side from items where id = any($1::uuid[])`, [
      travellers.map((t) => t.itemId),
    ]);
    const side = new Map(rows.map((r) => [r.id, r.current_side]));
    for (const t of travellers) {
      t.side = side.get(t.itemId) ?? t.side;
      t.busy = false;
      t.stale = false;
    }
  });
}

export async function officerTokens(base: string, url: string): Promise<Officer[]> {
  const officers = await withClient(url, async (c) =>
    (await c.query<{ username: string; checkpoint: string }>(
      `select username, checkpoint from users where role = 'officer' and username like 'bench-officer-%' order by username`,
    )).rows,
  );
  const out: Officer[] = [];
  for (const o of officers) {
    const res = await httpJson('POST', `${base}/v1/auth/token`, { grant_type: 'password', username: o.username, password: BENCH_PASSWORD });
    if (res.status !== 200) throw new Error(`token for ${o.username}: ${res.status} ${res.body}`);
    out.push({ ...o, token: (JSON.parse(res.body) as { access_token: string }).access_token });
  }
  if (out.length === 0) throw new Error('no bench officers in the database');
  return out;
}
