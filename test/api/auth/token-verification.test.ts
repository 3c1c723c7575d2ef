import t from 'tap';
import { buildTestApp } from '../../support/app.js';
import { assertProblem } from '../../support/http-checks.js';
import { decodeJwt, signJwt, validClaims } from '../../support/jwt.js';

/**
 * Every protected route verifies its Bearer token: signature (HS256 only, with
 * the configured secret), expiry, issuer, audience, and that the account behind
 * it still exists with that role. Anything else is a 401 problem+json with
 * `WWW-Authenticate: Bearer`. Tokens here are built by hand with node:crypto.
 */

const ctx = await buildTestApp(t);
const officer = await ctx.caller('officer');
const principal = { sub: officer.userId, kind: 'user' as const, role: 'officer', username: officer.username, checkpoint: 'LMC' };
const now = () => Math.floor(Date.now() / 1000);

const me = (authorization?: string) =>
  ctx.request({ method: 'GET', url: '/v1/me', headers: authorization === undefined ? {} : { authorization } });

t.test('control: a hand-signed HS256 token with the test secret and the right claims is accepted', async (t) => {
  // Proves the helper builds valid tokens, so each refusal below is due to the one thing it changes.
  const res = await me(`Bearer ${signJwt(validClaims(principal))}`);
  t.equal(res.statusCode, 200, res.body);
  t.equal(res.json().sub, officer.userId);
});

t.test('control: a token from the token endpoint is accepted', async (t) => {
  t.equal((await me(`Bearer ${officer.token}`)).statusCode, 200);
});

const refused: Array<{ name: string; authorization: () => string | undefined; code?: string }> = [
  { name: 'no Authorization header', authorization: () => undefined },
  { name: 'a Basic credential instead of Bearer', authorization: () => `Basic ${Buffer.from('user:pass').toString('base64')}` },
  { name: 'the token without the Bearer scheme', authorization: () => officer.token },
  { name: 'Bearer with no token', authorization: () => 'Bearer ' },
  { name: 'a garbage token', authorization: () => 'Bearer garbage' },
  { name: 'three garbage segments', authorization: () => 'Bearer aaaa.bbbb.cccc' },
  { name: 'a token whose payload is not JSON', authorization: () => `Bearer ${Buffer.from('{"alg":"HS256"}').toString('base64url')}.bm90LWpzb24.c2ln` },
  {
    name: 'an expired token (exp a minute ago)',
    authorization: () => `Bearer ${signJwt({ ...validClaims(principal), iat: now() - 1000, exp: now() - 60 })}`,
    code: 'TOKEN_EXPIRED',
  },
  { name: 'a token not valid yet (nbf in an hour)', authorization: () => `Bearer ${signJwt({ ...validClaims(principal), nbf: now() + 3600 })}` },
  { name: 'a forged signature (signed with another secret)', authorization: () => `Bearer ${signJwt(validClaims(principal), { secret: 'another-secret-another-secret-another-secret' })}` },
  {
    name: 'a real token with its payload changed to role supervisor (signature kept)',
    authorization: () => {
      const [h, , s] = officer.token.split('.');
      const payload = { ...decodeJwt(officer.token).payload, role: 'supervisor' };
      return `Bearer ${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    },
  },
  { name: 'a real token with its signature stripped', authorization: () => `Bearer ${officer.token.split('.').slice(0, 2).join('.')}.` },
  { name: 'alg none with an empty signature', authorization: () => `Bearer ${signJwt(validClaims(principal), { alg: 'none' })}` },
  { name: 'alg none carrying an HS256 signature', authorization: () => `Bearer ${signJwt(validClaims(principal), { alg: 'none', hash: 'sha256' })}` },
  { name: 'HS512 with the right secret (algorithm is pinned to HS256)', authorization: () => `Bearer ${signJwt(validClaims(principal), { alg: 'HS512' })}` },
  { name: 'HS384 with the right secret', authorization: () => `Bearer ${signJwt(validClaims(principal), { alg: 'HS384' })}` },
  { name: 'RS256 header with an HMAC signature (algorithm confusion)', authorization: () => `Bearer ${signJwt(validClaims(principal), { alg: 'RS256' })}` },
  { name: 'ES256 header with an HMAC signature', authorization: () => `Bearer ${signJwt(validClaims(principal), { alg: 'ES256' })}` },
  { name: 'the wrong audience', authorization: () => `Bearer ${signJwt({ ...validClaims(principal), aud: 'some-other-api' })}` },
  { name: 'no audience at all', authorization: () => `Bearer ${signJwt(withoutClaim(validClaims(principal), 'aud'))}` },
  { name: 'the wrong issuer', authorization: () => `Bearer ${signJwt({ ...validClaims(principal), iss: 'someone-else' })}` },
  { name: 'no issuer at all', authorization: () => `Bearer ${signJwt(withoutClaim(validClaims(principal), 'iss'))}` },
  { name: 'a validly signed token with no kind claim', authorization: () => `Bearer ${signJwt(withoutClaim(validClaims(principal), 'kind'))}` },
  { name: 'a validly signed token with no sub claim', authorization: () => `Bearer ${signJwt(withoutClaim(validClaims(principal), 'sub'))}` },
  {
    name: 'a validly signed token for an account that does not exist',
    authorization: () => `Bearer ${signJwt(validClaims({ ...principal, sub: '01900000-0000-7000-8000-000000000000' }))}`,
  },
  { name: 'a validly signed token without exp (it would never expire)', authorization: () => `Bearer ${signJwt(withoutClaim(validClaims(principal), 'exp'))}` },
  {
    name: 'a validly signed client token for a client that does not exist',
    authorization: () =>
      `Bearer ${signJwt(validClaims({ sub: '01900000-0000-7000-8000-000000000001', kind: 'client', role: 'institution_admin' }))}`,
  },
];

function withoutClaim(claims: Record<string, unknown>, name: string): Record<string, unknown> {
  const copy = { ...claims };
  delete copy[name];
  return copy;
}

for (const c of refused) {
  t.test(`401 problem+json with WWW-Authenticate: Bearer for ${c.name}`, async (t) => {
    const res = await me(c.authorization());
    const problem = assertProblem(t, res, 401, c.code);
    t.equal(res.headers['www-authenticate'], 'Bearer', 'www-authenticate: Bearer');
    t.notMatch(problem.detail, /FST_JWT|fast-jwt|stack|at [A-Za-z]+ \(/, 'no library internals in the detail');
  });
}

t.test('a validly signed token claiming a role its account does not have is refused (account not used recently)', async (t) => {
  const other = await ctx.caller('auditor');
  const forged = signJwt(validClaims({ sub: other.userId, kind: 'user', role: 'supervisor' }));
  const res = await me(`Bearer ${forged}`);
  assertProblem(t, res, 401);
  t.equal(res.headers['www-authenticate'], 'Bearer');
});

t.test('a validly signed token claiming another role is refused even right after the real token was used (account cache keyed without role)', async (t) => {
  const other = await ctx.caller('auditor');
  t.equal((await me(`Bearer ${other.token}`)).statusCode, 200, 'the real auditor token works (and warms the account cache)');
  const forged = signJwt(validClaims({ sub: other.userId, kind: 'user', role: 'supervisor', username: other.username }));
  const res = await me(`Bearer ${forged}`);
  assertProblem(t, res, 401);
  t.equal(res.headers['www-authenticate'], 'Bearer');
  const users = await ctx.request({ method: 'GET', url: '/v1/users', headers: { authorization: `Bearer ${forged}` } });
  t.not(users.statusCode, 200, 'the forged supervisor role does not open supervisor routes');
});

t.test('the token is not taken from the query string', async (t) => {
  const res = await ctx.request({ method: 'GET', url: `/v1/me?access_token=${officer.token}` });
  assertProblem(t, res, 401);
});

t.test('a refused token changes nothing: a protected POST with a forged supervisor token creates nothing', async (t) => {
  const forged = signJwt(validClaims({ ...principal, role: 'supervisor' }), { secret: 'x'.repeat(48) });
  const res = await ctx.request({
    method: 'POST',
    url: '/v1/checkpoints',
    headers: { authorization: `Bearer ${forged}` },
    payload: { code: 'FORGED', name: 'Forged', nameZh: '伪' },
  });
  assertProblem(t, res, 401);
  const sup = await ctx.caller('supervisor');
  const list = await ctx.request({ method: 'GET', url: '/v1/checkpoints?limit=200', token: sup.token });
  t.notOk(list.json<{ items: { code: string }[] }>().items.some((c) => c.code === 'FORGED'), 'no checkpoint was created');
});
