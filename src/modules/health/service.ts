import type { Database } from '../../db/client.js';
import { ServiceUnavailableError } from '../../errors.js';

const PING_TIMEOUT_MS = 1500;

export interface HealthServiceDeps {
  database: Pick<Database, 'ping' | 'kind'>;
}

export function healthService({ database }: HealthServiceDeps) {
  return {
    /** Ready when the database answers within PING_TIMEOUT_MS; a 503 otherwise. */
    async ready(): Promise<{ status: 'ready'; database: Database['kind'] }> {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          database.ping(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('ping timeout')), PING_TIMEOUT_MS);
          }),
        ]);
      } catch {
        throw new ServiceUnavailableError('The database does not answer');
      } finally {
        clearTimeout(timer);
      }
      return { status: 'ready', database: database.kind };
    },
  };
}

export type HealthService = ReturnType<typeof healthService>;
