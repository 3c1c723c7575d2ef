import { validHkid } from './documents.js';
import { buildTestApp, type TestApp } from './app.js';

type Tap = Parameters<typeof buildTestApp>[0];

/**
 * The registry tests sign in many accounts and send many requests: the per-address
 * limits (which have tests of their own) are switched off here.
 */
export function registryApp(t: Tap): Promise<TestApp> {
  return buildTestApp(t, {
    env: { RATE_LIMIT_PER_MINUTE: '0', AUTH_RATE_LIMIT_PER_MINUTE: '0', AUTH_FAILURES_PER_USERNAME: '0' },
  });
}

let serial = 0;
const base = (process.pid % 1000) * 100_000;

/** A passport number nobody else in this test run uses: P + 8 digits. */
export function uniquePassport(): string {
  serial += 1;
  return `P${String(base + serial).padStart(8, '0')}`;
}

/** A valid HKID for a 6-digit body (one generator: support/documents.ts), prefix Z by default here. */
export const hkid = (n: number, prefix = 'Z'): string => validHkid(n, prefix);

export interface DocumentBody {
  kind: string;
  number: string;
  issuingCountry?: string;
  expiresOn: string;
}

export interface ResearcherBody {
  fullName: string;
  nameZh?: string;
  dateOfBirth: string;
  nationality: string;
  email: string;
  documents: DocumentBody[];
}

export function researcherBody(overrides: Partial<ResearcherBody> = {}): ResearcherBody {
  const passport = uniquePassport();
  return {
    fullName: 'Smith John',
    dateOfBirth: '1980-02-29',
    nationality: 'GBR',
    email: `${passport.toLowerCase()}@example.ac.uk`,
    documents: [{ kind: 'passport', number: passport, issuingCountry: 'GBR', expiresOn: '2035-01-31' }],
    ...overrides,
  };
}

export interface NominatedResearcher {
  id: string;
  etag: string;
  status: string;
  documents: (DocumentBody & { id: string; issuingCountry: string; status: string })[];
}

/** Nominates through the API and returns the created researcher. */
export async function nominate(
  ctx: TestApp,
  token: string,
  institutionId: string,
  body: ResearcherBody = researcherBody(),
): Promise<NominatedResearcher> {
  const res = await ctx.request({ method: 'POST', url: `/v1/institutions/${institutionId}/researchers`, token, payload: body });
  if (res.statusCode !== 201) throw new Error(`nominate failed: ${res.statusCode} ${res.body}`);
  return { ...res.json<Omit<NominatedResearcher, 'etag'>>(), etag: String(res.headers.etag) };
}

/** Approves through the API (supervisor token). */
export async function approve(ctx: TestApp, token: string, id: string, validUntil = '2099-12-31'): Promise<void> {
  const res = await ctx.request({ method: 'POST', url: `/v1/researchers/${id}/approve`, token, payload: { validUntil } });
  if (res.statusCode !== 200) throw new Error(`approve failed: ${res.statusCode} ${res.body}`);
}
