// The sections of the report after the setup: the (a)-(d) results, the steady rate, the scale series,
// the datasets and every round.
import { BENCH_PASSWORD } from '../seed/seed.js';
import type { Measurement } from './measure.js';
import { by, fmtMs, fmtN, fmtRps, lookupWaitsForFlush, type Results, type Summary, summarize, table } from './report.js';

/** The (a)-(d) comparison on the main dataset. */
export function renderResults(r: Results, out: string[]): void {
  const main = by(r.main, (m) => m.target);
  const s = (t: string) => (main.get(t) ? summarize(main.get(t)!) : undefined);
  const a = s('a');
  const b = s('b');
  const c = s('c');
  const d = s('d');
  const mainSet = r.datasets.find((x) => x.researchers === Number(r.settings.mainSize));
  out.push(`## Results: ${fmtN(mainSet?.researchers)} researchers`);
  out.push('');
  const row = (name: string, x: Summary | undefined, extra = '') =>
    x
      ? [name, `${fmtRps(x.rps)} (${fmtRps(x.rpsMin)}–${fmtRps(x.rpsMax)})`, fmtMs(x.p50), fmtMs(x.p975), fmtMs(x.p99), fmtN(x.errors), fmtN(x.non2xx), extra]
      : [name, '–', '–', '–', '–', '–', '–', extra];
  out.push(
    table(
      ['target', 'req/s, median (range)', 'p50 ms', 'p97.5 ms', 'p99 ms', 'errors', 'non-2xx', ''],
      [
        row('(a) lookup, service', a),
        row('(b) crossing, service', b, b?.clearedPerSecond !== undefined ? `**${fmtRps(b.clearedPerSecond)} CLEARED/s**` : ''),
        row('(c) hello-world reference', c),
        row('(d) bare Fastify + pg reference', d),
      ],
    ),
  );
  out.push('');
  if (a && c && d) {
    out.push(`- **(a)/(d) = ${(a.rps / d.rps).toFixed(2)}** (target ≥ 1.5): the lookup against the bare pg route doing the same reads.`);
    out.push(`- **(a)/(c) = ${(a.rps / c.rps).toFixed(3)}**: the lookup against the bare hello-world ceiling.`);
  }
  if (b) out.push(`- **CLEARED crossings/s = ${fmtRps(b.clearedPerSecond ?? Number.NaN)}** (target ≥ 1,000).`);
  const flagged = r.main.filter((m) => m.target === 'b').reduce((acc, m) => acc + (m.flagged ?? 0), 0);
  if (b) {
    const reasons = new Map<string, number>();
    for (const m of r.main.filter((x) => x.target === 'b')) for (const [k, v] of Object.entries(m.flagReasons ?? {})) reasons.set(k, (reasons.get(k) ?? 0) + v);
    out.push(`- Crossings FLAGGED in the measured rounds: ${flagged.toLocaleString('en')}${reasons.size ? ` (${[...reasons].map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}.`);
  }
}

/** The lookup at a steady rate, where its time goes, the floors and each round's conditions. */
export function renderSteady(r: Results, out: string[]): void {
  out.push(`## Lookup at a steady ${r.settings.rate} req/s`);
  out.push('');
  const steady = by(r.steady, (m) => `${m.target}|${m.generator}`);
  const steadyRows: string[][] = [];
  for (const [key, ms] of steady) {
    const x = summarize(ms);
    const [target, generator] = key.split('|');
    steadyRows.push([
      target === 'a' ? '(a) lookup, service' : '(d) bare pg reference',
      generator === 'paced' ? 'paced open loop' : 'autocannon overallRate',
      fmtRps(x.rps),
      fmtMs(x.p50),
      fmtMs(x.p975),
      `**${fmtMs(x.p99)}**`,
      x.autocannonP99 !== undefined ? fmtMs(x.autocannonP99) : '–',
      fmtN(x.errors + x.non2xx),
    ]);
  }
  out.push(table(['target', 'generator', 'achieved req/s', 'p50 ms', 'p97.5 ms', 'p99 ms', 'autocannon p99 (CO-corrected, whole ms)', 'errors + non-2xx'], steadyRows));
  out.push('');
  out.push(
    `Target: lookup p99 ≤ 10 ms at ${r.settings.rate} req/s. Two generators, because autocannon's \`overallRate\` is a budget per connection per one-second tick: ` +
      `each connection sends its share back to back as fast as answers come, then waits for the next second. That is a burst of ${r.settings.connections} concurrent requests ` +
      'at the start of every second, not a steady stream, and its p99 is close to the saturated p99 whenever the burst lasts longer than a few ms. The paced generator ' +
      '(bench/paced.ts, in a process of its own so that the pauses of the benchmark\'s own garbage collector are not charged to the servers) sends request i at t0 + i/rate on raw keep-alive connections (bench/raw-http.ts, about as light per request as autocannon, since it shares the cores with what it measures) whatever the others do, and counts each latency from when the request was due, ' +
      'so a stall is not hidden (no coordinated omission). The paced row is the one to read for "steady".',
  );
  out.push('');
  const timed = r.steady.filter((m) => m.target === 'a' && m.generator === 'paced' && m.serverTiming);
  if (timed.length > 0) {
    out.push('### Inside the service: where the paced lookup\'s time goes');
    out.push('');
    const pair = (x: Pick<Measurement, 'p50' | 'p99'> | undefined, bold = true) =>
      x ? `${fmtMs(x.p50)} / ${bold ? `**${fmtMs(x.p99)}**` : fmtMs(x.p99)}` : '–';
    const timedRows = timed
      .sort((x, y) => x.round - y.round)
      .map((m) => [
        String(m.round),
        pair(m),
        pair(m.sendLag, false),
        pair(m.serverTiming?.app),
        pair(m.serverTiming?.db),
        m.serverTiming?.app ? fmtMs(m.p99 - m.serverTiming.app.p99) : '–',
      ]);
    out.push(
      table(
        ['round', 'as the generator saw it, p50 / p99 ms', 'sent late by the generator, p50 / p99', 'app: in the service, p50 / p99', 'db: the statement (read + audit event, committed), p50 / p99', 'p99 outside the service (generator − app)'],
        timedRows,
      ),
    );
    out.push('');
    out.push(
      'From the Server-Timing header that the service sends when SERVER_TIMING is on (as here; src/http/server-timing.ts), read by the paced generator from every answer: ' +
        '`app` runs from the request\'s first hook to its answer being sent, `db` is the lookup\'s one statement (alone, or the batch it went in): its read and its audit ' +
        `event written to the journal, committed (${lookupWaitsForFlush(r.settings) ? 'and flushed' : 'without waiting for the WAL flush'}: LOOKUP_SYNCHRONOUS_COMMIT) — the answer waits for it. What the generator sees beyond \`app\` lies outside the ` +
        'handlers: loopback TCP, HTTP parsing, the event loop\'s queue before the first hook, and the generator itself — how late it sent each request after it was due is measured too. Each column has its own percentiles, of different requests, so they do not add up.',
    );
    out.push('');
  }
  if (r.floors?.length) {
    out.push(`### The floors: what the machine itself costs`);
    out.push('');
    const floorRows: string[][] = [];
    for (const [, ms] of by(r.floors, (m) => m.target)) {
      const x = summarize(ms);
      const web = ms[0]!.target === 'c';
      floorRows.push([
        web ? `${x.label}, paced open loop (HTTP alone)` : `${x.label}, one connection, alone`,
        fmtRps(x.rps),
        fmtMs(x.p50),
        fmtMs(x.p975),
        `**${fmtMs(x.p99)}**`,
        fmtMs(Math.max(...ms.map((m) => m.max))),
        fmtN(x.errors + x.non2xx),
      ]);
    }
    out.push(table(['floor', 'req/s', 'p50 ms', 'p97.5 ms', 'p99 ms', 'max ms (any round)', 'errors + non-2xx'], floorRows));
    out.push('');
    out.push(
      'Measured in the same rounds as the table above. A lookup is one HTTP exchange and one Postgres statement that reads and writes its audit event, ' +
        (lookupWaitsForFlush(r.settings)
          ? 'then commits durably (the answer waits for the flush, LOOKUP_SYNCHRONOUS_COMMIT; Postgres shares one WAL flush among the commits that arrive together): its latency cannot go below theirs. '
          : 'then commits (the answer waits for the commit, not for its WAL flush, LOOKUP_SYNCHRONOUS_COMMIT; a crossing waits for the flush, as the durable-commit probe does): its latency cannot go below the first two. ') +
        'The Postgres probes run one statement at a time on one connection with nothing else running, so they are the best case of this disk and this scheduler.',
    );
    out.push('');
  }
  const conditioned = [...r.steady, ...(r.floors ?? [])].filter((m) => m.conditions);
  if (conditioned.length > 0) {
    out.push('### What the server and the machine went through in each steady round');
    out.push('');
    const pct = (v: number | null) => (v === null ? '–' : v.toFixed(1));
    const condRows = conditioned
      .sort((x, y) => x.conditions!.startS - y.conditions!.startS)
      .map((m) => {
        const c = m.conditions!;
        return [
          c.startS.toFixed(0),
          String(m.round),
          `${m.label}, ${m.generator}`,
          m.target === 'a' && m.generator === 'paced' ? `**${fmtMs(m.p99)}**` : fmtMs(m.p99),
          c.walMb === null ? '–' : `${c.walMb.toFixed(1)} (${fmtN(c.fullPageImages ?? undefined)})`,
          c.walSyncs === null ? '–' : fmtN(c.walSyncs),
          `${pct(c.cpuSome)} / ${pct(c.ioSome)}`,
        ];
      });
    out.push(table(['s into the run', 'round', 'measurement', 'p99 ms', 'WAL written, MB (full-page images)', 'WAL flushes', 'pressure, % of the round: cpu / io'], condRows));
    out.push('');
    out.push(
      'For each measurement of the steady rounds above: the WAL the whole server wrote meanwhile (pg_stat_wal), how much of it were full-page images — the first change to a page ' +
        'after a checkpoint logs the whole page, so a round that starts soon after a checkpoint writes several times the WAL of one that does not — and its flushes; and the ' +
        'kernel\'s pressure stall information (/proc/pressure): the share of the round in which some task waited for a core (cpu) or for the disk (io). ' +
        'Where one round\'s tail stands out from the others of the same measurement, these say whether the server and the machine had more to do in it.',
    );
    out.push('');
  }
}

/** The scale series. */
export function renderScale(r: Results, out: string[]): void {
  out.push('## Scale series: the lookup at 10 k, 100 k and 1 M researchers');
  out.push('');
  const scaleRows: string[][] = [];
  const p50s = new Map<number, number>();
  for (const set of r.datasets) {
    const sat = r.scale.filter((m) => m.dataset === set.researchers && m.generator === 'autocannon');
    // Reports of runs before the steady rate joined the series have no rate: those were all at scaleRate.
    const paced = r.scale.filter((m) => m.dataset === set.researchers && m.generator === 'paced' && (m.rate ?? r.settings.scaleRate) === r.settings.scaleRate);
    const steady = r.scale.filter((m) => m.dataset === set.researchers && m.generator === 'paced' && m.rate === r.settings.rate && r.settings.rate !== r.settings.scaleRate);
    const x = sat.length ? summarize(sat) : undefined;
    const y = paced.length ? summarize(paced) : undefined;
    const z = steady.length ? summarize(steady) : undefined;
    if (y) p50s.set(set.researchers, y.p50);
    scaleRows.push([
      fmtN(set.researchers),
      fmtN(set.counts.identity_documents),
      fmtN(set.counts.items),
      x ? fmtRps(x.rps) : '–',
      x ? fmtMs(x.p50) : '–',
      x ? fmtMs(x.p99) : '–',
      y ? fmtMs(y.p50) : '–',
      y ? fmtMs(y.p99) : '–',
      z ? `${fmtMs(z.p50)} / ${fmtMs(z.p99)}` : '–',
    ]);
  }
  out.push(
    table(
      ['researchers', 'documents', 'items', `req/s (${r.settings.connections} conn.)`, 'p50 ms', 'p99 ms', `p50 ms at ${r.settings.scaleRate} req/s paced`, `p99 ms at ${r.settings.scaleRate} req/s paced`, `p50 / p99 ms at ${r.settings.rate} req/s paced`],
      scaleRows,
    ),
  );
  out.push('');
  const small = Math.min(...p50s.keys());
  const large = Math.max(...p50s.keys());
  if (p50s.size > 1) {
    out.push(`- Paced p50 at ${fmtN(large)} ÷ p50 at ${fmtN(small)} = **${(p50s.get(large)! / p50s.get(small)!).toFixed(2)}** (target ≤ 1.3: the cost stays flat, index-bound).`);
  }
  out.push(`- At ${r.settings.rate} req/s paced (last column), the same steady load as the latency target, on every dataset: where the p99 grows with the dataset and not the p50, the tail is the database's pages coming from the disk, not the lookup's work.`);
  out.push('- Each dataset has its own service process (same settings); the sizes alternate round by round like the targets above.');
}

/** The datasets and every round. */
export function renderRounds(r: Results, out: string[]): void {
  out.push('## Datasets');
  out.push('');
  out.push(
    table(
      ['database', 'researchers', 'institutions', 'documents', 'items', 'custodians', 'crossings seeded', 'size now', 'audit events now', 'seeded in', 'load rows', 'indexes + constraints'],
      r.datasets.map((x) => [
        x.database,
        fmtN(x.researchers),
        fmtN(x.counts.institutions),
        fmtN(x.counts.identity_documents),
        fmtN(x.counts.items),
        fmtN(x.counts.item_custodians),
        fmtN(x.counts.crossings),
        `${(x.live.bytes / 1024 ** 2).toFixed(0)} MiB`,
        fmtN(x.live.auditEvents),
        `${x.seconds.toFixed(0)} s${x.reused ? ' (earlier)' : ''}`,
        `${(x.phases['load rows'] ?? 0).toFixed(0)} s`,
        `${(x.phases['rebuild indexes and constraints'] ?? 0).toFixed(0)} s`,
      ]),
    ),
  );
  out.push('');
  out.push(
    '`npm run bench:seed -- --researchers N` (DATABASE_URL = the server) makes them: institutions on both sides (~N/500), researchers of mainland, Hong Kong and ' +
      'foreign profiles holding every kind of document (valid check characters, unique numbers), mostly approved and some nominated, suspended, rejected, revoked or expired; ' +
      '~3 items each across the four categories with custodians; ~4 % of the approved travellers with past crossings and movements; an officer per checkpoint ' +
      `(\`bench-officer-<checkpoint>\`, password \`${BENCH_PASSWORD}\`). The lookups and crossings of each bench run add to the audit log and the crossings.`,
  );
  out.push('');
  out.push('## Every round');
  out.push('');
  const all = [...r.main, ...r.steady, ...r.scale];
  out.push(
    table(
      ['target', 'dataset', 'generator', 'round', 'req/s', 'p50', 'p97.5', 'p99', 'max', 'errors', 'non-2xx', 'status codes'],
      all.map((m) => [
        m.label,
        fmtN(m.dataset),
        m.generator,
        String(m.round),
        fmtRps(m.rps),
        fmtMs(m.p50),
        fmtMs(m.p975),
        fmtMs(m.p99),
        fmtMs(m.max),
        fmtN(m.errors),
        fmtN(m.non2xx),
        Object.entries(m.statusCodes).map(([k, v]) => `${k}: ${v}`).join(', ') + (m.cleared !== undefined ? `; CLEARED ${m.cleared}, FLAGGED ${m.flagged}` : ''),
      ]),
    ),
  );
  out.push('');
}
