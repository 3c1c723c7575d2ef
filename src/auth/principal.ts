import type { Role } from '../db/schema.js';

/** Who is calling, as carried by the JWT. */
export interface Principal {
  /** User id, or the API client's id for client_credentials tokens. */
  sub: string;
  kind: 'user' | 'client';
  role: Role;
  username?: string;
  institutionId?: string;
  researcherId?: string;
  checkpoint?: string;
}

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
