import Fastify from 'fastify';
import pg from 'pg';

/**
 * Reference (d) of the benchmark: bare Fastify + pg running the plain SQL that a
 * straightforward implementation of the officer lookup would — the document to its
 * researcher (with the institution), then the researcher's custody to the items —
 * with no authentication, no validation, no audit and no response schema. Same
 * pool size as the service (DB_POOL_MAX), one process.
 */
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DB_POOL_MAX ?? 10),
  application_name: 'hetao-bench-ref-pg',
});
pool.on('error', () => {});

const app = Fastify({ logger: false });

app.get('/', async () => ({ ok: true }));

app.post('/v1/clearance/lookup', async (request, reply) => {
  const { document } = request.body as { document: { kind: string; number: string } };
  const found = await pool.query(
    `select r.*, d.kind as document_kind, d.number as document_number, d.issuing_country, d.expires_on,
            i.name as institution_name, i.side as institution_side, i.status as institution_status
       from identity_documents d
       join researchers r on r.id = d.researcher_id
       join institutions i on i.id = r.institution_id
      where d.kind = $1 and d.number = $2`,
    [document.kind, document.number],
  );
  const researcher = found.rows[0];
  if (!researcher) return reply.code(404).send({ error: 'not found' });
  const items = await pool.query(
    `select it.* from item_custodians c join items it on it.id = c.item_id where c.researcher_id = $1`,
    [researcher.id],
  );
  return { researcher, items: items.rows };
});

await app.listen({ host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 3002) });

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void app.close().then(() => pool.end()).then(() => process.exit(0));
  });
}
