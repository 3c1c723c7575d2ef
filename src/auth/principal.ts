import type { Principal } from '../domain/scope.js';

export type { Principal };

/** The actor recorded in the audit chain. */
export function actorOf(p: Principal): string {
  return p.kind === 'client' ? `client:${p.sub}` : p.sub;
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: Principal;
    user: Principal;
  }
}
