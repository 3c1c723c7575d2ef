import Fastify from 'fastify';

/**
 * Reference (c) of the benchmark: a bare Fastify hello-world, one process, no plugins,
 * no logging. The ceiling of what this machine, Node and Fastify answer per second.
 */
const app = Fastify({ logger: false });

app.get('/', async () => ({ hello: 'world' }));

await app.listen({ host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 3001) });

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void app.close().then(() => process.exit(0));
  });
}
