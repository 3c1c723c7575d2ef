// Issue 17, findings 1 and 3: a document added after vetting clears nobody until a
// supervisor approves it, and registering a document that another institution holds
// tells the caller nothing (the supervisor resolves it at approval).
import { sql } from 'drizzle-orm';
import t from 'tap';
import { queryRows } from '../../../src/db/client.js';
import { approve, hkid, nominate, registryApp, researcherBody, uniquePassport } from '../../support/registry.js';

const ctx = await registryApp(t);
const sup = await ctx.caller('supervisor');
const officer = await ctx.caller('officer', { checkpoint: 'LMC' });
const adminA = await ctx.caller('institution_admin');
const instA = adminA.scope.institutionId!;
const adminB = await ctx.caller('institution_admin');
const instB = adminB.scope.institutionId!;

interface Doc {
  id: string;
  number: string;
  status: string;
  statusReason: string | null;
  otherHolders?: { researcherId: string; institutionId: string; status: string }[];
}

const lookup = (document: { kind: string; number: string; issuingCountry?: string }) =>
  ctx.request({ method: 'POST', url: '/v1/clearance/lookup', token: officer.token, payload: { document } });
const crossing = (document: { kind: string; number: string; issuingCountry?: string }, key: string) =>
  ctx.request({
    method: 'POST',
    url: '/v1/crossings',
    token: officer.token,
    headers: { 'idempotency-key': key },
    payload: { checkpoint: 'LMC', direction: 'HK_TO_SZ', traveller: { document }, items: [] },
  });
const addDocument = (token: string, researcherId: string, body: object) =>
  ctx.request({ method: 'POST', url: `/v1/researchers/${researcherId}/documents`, token, payload: body });
const docAction = (token: string, researcherId: string, documentId: string, action: 'approve' | 'reject', payload: object = {}) =>
  ctx.request({ method: 'POST', url: `/v1/researchers/${researcherId}/documents/${documentId}/${action}`, token, payload });
const reasonCodes = (res: { json(): { reasons: { code: string }[] } }) => res.json().reasons.map((r) => r.code);

/** An approved researcher of institution A, vetted with one passport. */
async function vetted() {
  const passport = uniquePassport();
  const r = await nominate(ctx, adminA.token, instA, researcherBody({ documents: [{ kind: 'passport', number: passport, issuingCountry: 'GBR', expiresOn: '2040-01-01' }] }));
  t.equal(r.documents[0]!.status, 'pending', 'a nomination’s documents wait for the nomination');
  await approve(ctx, sup.token, r.id);
  return { id: r.id, passport };
}

t.test('finding 1: a passport added to an approved researcher does not clear until a supervisor approves it', async (t) => {
  const r = await vetted();
  const vettedCard = await lookup({ kind: 'passport', number: r.passport, issuingCountry: 'GBR' });
  t.equal(vettedCard.json().document.status, 'approved', 'approving the nomination approved its documents');

  const added = await addDocument(adminA.token, r.id, { kind: 'passport', number: 'Z9999999', issuingCountry: 'GBR', expiresOn: '2040-01-01' });
  t.equal(added.statusCode, 201, added.body);
  t.equal(added.json().status, 'approved', 'the researcher stays approved');
  const doc = (added.json().documents as Doc[]).find((d) => d.number === 'Z9999999')!;
  t.equal(doc.status, 'pending');

  const card = await lookup({ kind: 'passport', number: 'Z9999999', issuingCountry: 'GBR' });
  t.equal(card.statusCode, 200, card.body);
  t.equal(card.json().document.status, 'pending', 'the card shows the document’s status');
  t.equal(card.json().whitelist.inGoodStanding, false, 'not in good standing by an unvetted document');
  t.ok(card.json().alerts.some((a: { code: string }) => a.code === 'DOCUMENT_NOT_APPROVED'), card.body);

  const flagged = await crossing({ kind: 'passport', number: 'Z9999999', issuingCountry: 'GBR' }, `f1-${r.id}`);
  t.equal(flagged.statusCode, 201, flagged.body);
  t.equal(flagged.json().decision, 'FLAGGED');
  t.same(reasonCodes(flagged), ['DOCUMENT_NOT_APPROVED']);

  // Only a supervisor vets documents; scope holds for everyone else.
  for (const who of [adminA, adminB, officer]) {
    const res = await docAction(who.token, r.id, doc.id, 'approve');
    t.equal(res.statusCode, 403, `${who.role} cannot approve a document: ${res.body}`);
    t.match(res.headers['content-type'], /application\/problem\+json/);
  }
  const approved = await docAction(sup.token, r.id, doc.id, 'approve');
  t.equal(approved.statusCode, 200, approved.body);
  t.equal((approved.json().documents as Doc[]).find((d) => d.id === doc.id)!.status, 'approved');
  const again = await docAction(sup.token, r.id, doc.id, 'approve');
  t.equal(again.statusCode, 409);
  t.equal(again.json().code, 'INVALID_TRANSITION');

  const cleared = await crossing({ kind: 'passport', number: 'Z9999999', issuingCountry: 'GBR' }, `f1b-${r.id}`);
  t.equal(cleared.json().decision, 'CLEARED', cleared.body);

  // Withdrawn: a rejected document flags again, with the supervisor's reason kept.
  const rejected = await docAction(sup.token, r.id, doc.id, 'reject', { reason: 'not the holder’s passport' });
  t.equal(rejected.statusCode, 200, rejected.body);
  t.same(
    (rejected.json().documents as Doc[]).find((d) => d.id === doc.id),
    { ...doc, status: 'rejected', statusReason: 'not the holder’s passport' },
  );
  const noReason = await docAction(sup.token, r.id, doc.id, 'reject', {});
  t.equal(noReason.statusCode, 422, 'reject needs a reason');
  t.same(reasonCodes(await crossing({ kind: 'passport', number: 'Z9999999', issuingCountry: 'GBR' }, `f1c-${r.id}`)), ['DOCUMENT_NOT_APPROVED']);

  const unknown = await docAction(sup.token, r.id, '01a25353-0000-7000-8000-000000000000', 'approve');
  t.equal(unknown.statusCode, 404);

  const events = await queryRows<{ action: string }>(
    ctx.db,
    sql`select action from audit_journal where subject = ${`researcher:${r.id}`} union all select action from audit_events where subject = ${`researcher:${r.id}`}`,
  );
  const actions = events.map((e) => e.action);
  for (const a of ['researcher.document_add', 'researcher.document_approve', 'researcher.document_reject']) {
    t.ok(actions.includes(a), `audited: ${a}`);
  }
});

t.test('finding 3: no membership oracle — another institution registering a held document learns nothing', async (t) => {
  const r = await vetted();
  const held = { kind: 'passport', number: r.passport, issuingCountry: 'GBR', expiresOn: '2040-01-01' };

  // Nominate, import (JSON and CSV) and add a document at B with A's approved passport: each accepted like any other.
  const nominated = await ctx.request({
    method: 'POST',
    url: `/v1/institutions/${instB}/researchers`,
    token: adminB.token,
    payload: researcherBody({ documents: [held] }),
  });
  t.equal(nominated.statusCode, 201, nominated.body);
  t.notMatch(nominated.body, /otherHolders|HELD|ALREADY|DOCUMENT_/, 'the answer says nothing about the other holder');
  const free = await ctx.request({ method: 'POST', url: `/v1/institutions/${instB}/researchers`, token: adminB.token, payload: researcherBody() });
  t.same(Object.keys(nominated.json()).sort(), Object.keys(free.json()).sort(), 'the same shape as a nomination of a free document');

  const adminC = await ctx.caller('institution_admin');
  const hk = hkid(Number(String(Date.now()).slice(-6)), 'W');
  const other = await nominate(ctx, adminC.token, adminC.scope.institutionId!, researcherBody({ documents: [{ kind: 'hkid', number: hk, expiresOn: '2040-01-01' }] }));
  const addedAtC = await addDocument(adminC.token, other.id, held);
  t.equal(addedAtC.statusCode, 201, `adding it as a second document is accepted too: ${addedAtC.body}`);
  const adminD = await ctx.caller('institution_admin');
  const imported = await ctx.request({
    method: 'POST',
    url: `/v1/institutions/${adminD.scope.institutionId!}/researchers/import`,
    token: adminD.token,
    headers: { 'content-type': 'text/csv' },
    payload: `fullName,dateOfBirth,nationality,email,documentKind,documentNumber,issuingCountry,expiresOn\nIMPORTED COPY,1980-01-01,GBR,ic@example.com,passport,${r.passport},GBR,2040-01-01\n`,
  });
  t.equal(imported.statusCode, 201, `an import with it is accepted: ${imported.body}`);
  const again = await ctx.request({ method: 'POST', url: `/v1/institutions/${instB}/researchers`, token: adminB.token, payload: researcherBody({ documents: [held] }) });
  t.equal(again.statusCode, 409, 'B registering it a second time is a duplicate within B');
  t.equal(again.json().code, 'DOCUMENT_ALREADY_REGISTERED');

  // Within one institution a duplicate is still a 409 at once.
  const dupInA = await ctx.request({ method: 'POST', url: `/v1/institutions/${instA}/researchers`, token: adminA.token, payload: researcherBody({ documents: [held] }) });
  t.equal(dupInA.statusCode, 409);
  t.equal(dupInA.json().code, 'DOCUMENT_ALREADY_REGISTERED');

  // The border still sees A's vetted researcher, not B's nominee.
  const card = await lookup({ kind: 'passport', number: r.passport, issuingCountry: 'GBR' });
  t.equal(card.statusCode, 200, card.body);
  t.equal(card.json().researcher.id, r.id, 'the approved holder is the one the border sees');
  t.equal(card.json().whitelist.inGoodStanding, true);
  const cleared = await crossing({ kind: 'passport', number: r.passport, issuingCountry: 'GBR' }, `f3-${r.id}`);
  t.equal(cleared.json().decision, 'CLEARED', cleared.body);

  // The supervisor sees the conflict, and cannot approve a second holder.
  const nominee = nominated.json();
  const seen = await ctx.request({ method: 'GET', url: `/v1/researchers/${nominee.id}`, token: sup.token });
  const conflicts = (seen.json().documents as Doc[])[0]!.otherHolders;
  t.same(
    conflicts?.map((h) => [h.researcherId, h.institutionId, h.status]),
    [[r.id, instA, 'approved'], [other.id, adminC.scope.institutionId!, 'pending'], [imported.json().researchers[0].id, adminD.scope.institutionId!, 'pending']],
  );
  const asAdmin = await ctx.request({ method: 'GET', url: `/v1/researchers/${nominee.id}`, token: adminB.token });
  t.notMatch(asAdmin.body, /otherHolders/, 'an institution admin never sees other holders');

  const second = await ctx.request({ method: 'POST', url: `/v1/researchers/${nominee.id}/approve`, token: sup.token, payload: { validUntil: '2099-12-31' } });
  t.equal(second.statusCode, 409, second.body);
  t.equal(second.json().code, 'DOCUMENT_HELD_ELSEWHERE');
  t.same(second.json().errors.map((e: { path: string }) => e.path), ['documents.0.number']);
  const stillNominated = await ctx.request({ method: 'GET', url: `/v1/researchers/${nominee.id}`, token: sup.token });
  t.equal(stillNominated.json().status, 'nominated', 'nothing was written');
  const addedDoc = (addedAtC.json().documents as Doc[]).find((d) => d.number === r.passport)!;
  const secondDoc = await docAction(sup.token, other.id, addedDoc.id, 'approve');
  t.equal(secondDoc.statusCode, 409);
  t.equal(secondDoc.json().code, 'DOCUMENT_HELD_ELSEWHERE');

  // Once A's holder is revoked, their documents leave the whitelist and B's nominee can be approved.
  const revoked = await ctx.request({ method: 'POST', url: `/v1/researchers/${r.id}/revoke`, token: sup.token, payload: { reason: 'left' } });
  t.equal(revoked.statusCode, 200, revoked.body);
  t.same((revoked.json().documents as Doc[]).map((d) => d.status), ['revoked']);
  const approved = await ctx.request({ method: 'POST', url: `/v1/researchers/${nominee.id}/approve`, token: sup.token, payload: { validUntil: '2099-12-31' } });
  t.equal(approved.statusCode, 200, approved.body);
  t.same((approved.json().documents as Doc[]).map((d) => d.status), ['approved']);
  const now = await lookup({ kind: 'passport', number: r.passport, issuingCountry: 'GBR' });
  t.equal(now.json().researcher.id, nominee.id, 'the border now sees the newly approved holder');
});

t.test('racing approvals of two holders of one document: exactly one wins', async (t) => {
  const passport = uniquePassport();
  const doc = { kind: 'passport', number: passport, issuingCountry: 'GBR', expiresOn: '2040-01-01' };
  const a = await nominate(ctx, adminA.token, instA, researcherBody({ documents: [doc] }));
  const b = await nominate(ctx, adminB.token, instB, researcherBody({ documents: [doc] }));
  const results = await Promise.all(
    [a.id, b.id].map((id) => ctx.request({ method: 'POST', url: `/v1/researchers/${id}/approve`, token: sup.token, payload: { validUntil: '2099-12-31' } })),
  );
  t.same(results.map((r) => r.statusCode).sort(), [200, 409], results.map((r) => r.body).join('\n'));
  t.equal(results.find((r) => r.statusCode === 409)!.json().code, 'DOCUMENT_HELD_ELSEWHERE');
});
