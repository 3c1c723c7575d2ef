import t from 'tap';
import { insertInstitution } from '../../support/records.js';
import { approve, hkid, nominate, registryApp, researcherBody, uniquePassport } from '../../support/registry.js';

const paths = (res: { json<T>(): T }) => (res.json<{ errors?: { path: string }[] }>().errors ?? []).map((e) => e.path).sort();

t.test('researchers', async (t) => {
  const ctx = await registryApp(t);
  const sup = await ctx.caller('supervisor');
  const admin = await ctx.caller('institution_admin');
  const instId = admin.scope.institutionId!;
  const otherInst = await insertInstitution(ctx.db, { side: 'SZ' });
  const url = `/v1/institutions/${instId}/researchers`;

  await t.test('nominate: 201 nominated, names and document numbers normalised, audited', async (t) => {
    const res = await ctx.request({
      method: 'POST',
      url,
      token: admin.token,
      payload: {
        fullName: '  chan   tai man ',
        nameZh: '陳 大文',
        dateOfBirth: '1985-04-12',
        nationality: 'hkg',
        email: ' Chan.TaiMan@Example.EDU.hk ',
        documents: [
          { kind: 'hkid', number: 'a123456(3)', expiresOn: '2040-01-01' },
          { kind: 'home_return_permit', number: 'H1234567801', expiresOn: '2031-05-01' },
        ],
      },
    });
    t.equal(res.statusCode, 201, res.body);
    const r = res.json();
    t.equal(r.status, 'nominated');
    t.equal(r.institutionId, instId);
    t.equal(r.fullName, 'CHAN TAI MAN');
    t.equal(r.nameZh, '陳大文');
    t.equal(r.nationality, 'HKG');
    t.equal(r.email, 'chan.taiman@example.edu.hk');
    t.equal(r.validFrom, null);
    t.equal(r.validUntil, null);
    t.same(
      r.documents.map((d: { kind: string; number: string; issuingCountry: string }) => [d.kind, d.number, d.issuingCountry]),
      [
        ['hkid', 'A1234563', 'HKG'],
        ['home_return_permit', 'H12345678', 'CHN'],
      ],
    );
    t.equal(res.headers.location, `/v1/researchers/${r.id}`);
    t.equal(res.headers.etag, '"v1"');
    const audit = await ctx.request({ method: 'GET', url: `/v1/audit-events?subject=researcher:${r.id}`, token: sup.token });
    const [event] = audit.json().items;
    t.equal(event.action, 'researcher.nominate');
    t.equal(event.actor, admin.userId);
    t.equal(event.data.after.fullName, 'CHAN TAI MAN');
    t.equal(event.data.after.documents[0].number, '*****563', 'document numbers are masked in the audit log');
  });

  await t.test('nominate: every invalid field is a 422 naming it', async (t) => {
    const cases: [string, Record<string, unknown>, string[]][] = [
      ['bad HKID check digit', { documents: [{ kind: 'hkid', number: 'A1234564', expiresOn: '2040-01-01' }] }, ['documents.0.number']],
      [
        'bad PRC ID in the second document',
        {
          documents: [
            { kind: 'passport', number: uniquePassport(), issuingCountry: 'GBR', expiresOn: '2040-01-01' },
            { kind: 'prc_id', number: '110105194912310021', expiresOn: '2040-01-01' },
          ],
        },
        ['documents.1.number'],
      ],
      ['bad permit', { documents: [{ kind: 'hk_macao_permit', number: 'CI1234567', expiresOn: '2040-01-01' }] }, ['documents.0.number']],
      ['unknown kind', { documents: [{ kind: 'driving_licence', number: 'X1', expiresOn: '2040-01-01' }] }, ['documents.0.kind']],
      ['passport without issuing country', { documents: [{ kind: 'passport', number: 'K1234567', expiresOn: '2040-01-01' }] }, ['documents.0.issuingCountry']],
      ['expired document', { documents: [{ kind: 'passport', number: uniquePassport(), issuingCountry: 'GBR', expiresOn: '2001-01-01' }] }, ['documents.0.expiresOn']],
      [
        'PRC ID birth date differs from dateOfBirth',
        { dateOfBirth: '1950-01-01', documents: [{ kind: 'prc_id', number: '11010519491231002X', expiresOn: '2040-01-01' }] },
        ['documents.0.number'],
      ],
      ['no documents', { documents: [] }, ['documents']],
      ['Chinese characters in fullName', { fullName: '陳大文' }, ['fullName']],
      ['Latin letters in nameZh', { nameZh: 'Chan' }, ['nameZh']],
      ['not a country', { nationality: 'XYZ' }, ['nationality']],
      ['alpha-2 country', { nationality: 'GB' }, ['nationality']],
      ['bad email', { email: 'not-an-email' }, ['email']],
      ['impossible date', { dateOfBirth: '1990-02-30' }, ['dateOfBirth']],
      ['born in the future', { dateOfBirth: '2999-01-01' }, ['dateOfBirth']],
      ['status set by the caller', { status: 'approved', validUntil: '2099-01-01' }, ['status', 'validUntil']],
    ];
    for (const [name, over, expected] of cases) {
      const res = await ctx.request({ method: 'POST', url, token: admin.token, payload: { ...researcherBody(), ...over } });
      t.equal(res.statusCode, 422, `${name}: ${res.body}`);
      t.same(paths(res), expected, name);
    }
    const same = uniquePassport();
    const twice = await ctx.request({
      method: 'POST',
      url,
      token: admin.token,
      payload: researcherBody({
        documents: [
          { kind: 'passport', number: same, issuingCountry: 'GBR', expiresOn: '2040-01-01' },
          { kind: 'passport', number: same.toLowerCase(), issuingCountry: 'gbr', expiresOn: '2040-01-01' },
        ],
      }),
    });
    t.equal(twice.statusCode, 422, twice.body);
    t.same(paths(twice), ['documents.1.number']);
  });

  await t.test('a document is unique per kind (and issuing country for passports) within an institution; another institution is told nothing', async (t) => {
    const dupHkid = await ctx.request({
      method: 'POST',
      url: `/v1/institutions/${otherInst.id}/researchers`,
      token: sup.token,
      payload: researcherBody({ documents: [{ kind: 'hkid', number: 'A 123456 (3)', expiresOn: '2040-01-01' }] }),
    });
    t.equal(dupHkid.statusCode, 201, `another institution's nomination is accepted like any other: ${dupHkid.body}`);
    t.notMatch(dupHkid.body, /CHAN|陳|DOCUMENT_|otherHolders/, 'says nothing about who else holds it');

    const passport = uniquePassport();
    await nominate(ctx, admin.token, instId, researcherBody({ documents: [{ kind: 'passport', number: passport, issuingCountry: 'GBR', expiresOn: '2040-01-01' }] }));
    const otherCountry = await ctx.request({
      method: 'POST',
      url,
      token: admin.token,
      payload: researcherBody({ documents: [{ kind: 'passport', number: passport, issuingCountry: 'CAN', expiresOn: '2040-01-01' }] }),
    });
    t.equal(otherCountry.statusCode, 201, 'the same passport number from another country is another passport');
    const sameCountry = await ctx.request({
      method: 'POST',
      url,
      token: admin.token,
      payload: researcherBody({
        documents: [
          { kind: 'hkid', number: hkid(424242), expiresOn: '2040-01-01' },
          { kind: 'passport', number: passport, issuingCountry: 'GBR', expiresOn: '2040-01-01' },
        ],
      }),
    });
    t.equal(sameCountry.statusCode, 409);
    t.same(paths(sameCountry), ['documents.1.number']);
  });

  await t.test('racing nominations of the same document: one wins, the others get the same 409', async (t) => {
    const number = hkid(777777);
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        ctx.request({
          method: 'POST',
          url,
          token: admin.token,
          payload: researcherBody({ documents: [{ kind: 'hkid', number, expiresOn: '2040-01-01' }] }),
        }),
      ),
    );
    const codes = results.map((r) => r.statusCode).sort();
    t.same(codes, [201, 409, 409, 409, 409, 409], results.map((r) => r.body).join('\n'));
    for (const r of results.filter((x) => x.statusCode === 409)) t.equal(r.json().code, 'DOCUMENT_ALREADY_REGISTERED');
  });

  await t.test('Idempotency-Key on nominate: a retry does not nominate twice', async (t) => {
    const payload = researcherBody();
    const headers = { 'idempotency-key': 'nominate-1' };
    const a = await ctx.request({ method: 'POST', url, token: admin.token, payload, headers });
    const b = await ctx.request({ method: 'POST', url, token: admin.token, payload, headers });
    t.equal(a.statusCode, 201, a.body);
    t.equal(b.statusCode, 201, b.body);
    t.equal(b.json().id, a.json().id);
    t.equal(b.headers['idempotent-replayed'], 'true');
  });

  await t.test('workflow: transitions, reasons, and 409 INVALID_TRANSITION', async (t) => {
    const r = await nominate(ctx, admin.token, instId);
    const post = (action: string, payload?: unknown, token = sup.token) =>
      ctx.request({ method: 'POST', url: `/v1/researchers/${r.id}/${action}`, token, ...(payload !== undefined ? { payload: payload as object } : {}) });

    t.equal((await post('suspend', { reason: 'x' })).json().code, 'INVALID_TRANSITION', 'a nominated researcher cannot be suspended');
    t.equal((await post('reinstate')).statusCode, 409);

    const past = await post('approve', { validUntil: '2001-01-01' });
    t.equal(past.statusCode, 422);
    t.same(paths(past), ['validUntil']);
    const inverted = await post('approve', { validFrom: '2098-01-01', validUntil: '2097-12-31' });
    t.same(paths(inverted), ['validUntil']);
    const missing = await post('approve', {});
    t.same(paths(missing), ['validUntil']);

    const ok = await post('approve', { validFrom: '2020-01-01', validUntil: '2099-06-30' });
    t.equal(ok.statusCode, 200, ok.body);
    t.equal(ok.json().status, 'approved');
    t.equal(ok.json().validFrom, '2020-01-01');
    t.equal(ok.json().validUntil, '2099-06-30');
    t.equal(ok.headers.etag, '"v2"');

    t.equal((await post('reject', { reason: 'late' })).json().code, 'INVALID_TRANSITION', 'only nominations are rejected');

    const renewed = await post('approve', { validUntil: '2100-01-31' });
    t.equal(renewed.statusCode, 200, 'an approved researcher is renewed');
    t.equal(renewed.json().validUntil, '2100-01-31');

    const noReason = await post('suspend', {}, admin.token);
    t.equal(noReason.statusCode, 422);
    t.same(paths(noReason), ['reason']);
    const suspended = await post('suspend', { reason: 'left the lab' }, admin.token);
    t.equal(suspended.statusCode, 200, suspended.body);
    t.equal(suspended.json().status, 'suspended');
    t.equal(suspended.json().statusReason, 'left the lab');
    t.equal((await post('suspend', { reason: 'again' }, admin.token)).statusCode, 409);
    t.equal((await post('approve', { validUntil: '2100-01-31' })).statusCode, 409, 'a suspended researcher is reinstated, not approved');

    const reinstated = await post('reinstate');
    t.equal(reinstated.statusCode, 200);
    t.equal(reinstated.json().status, 'approved');
    t.equal(reinstated.json().statusReason, null);
    t.equal(reinstated.json().validUntil, '2100-01-31');

    const revoked = await post('revoke', { reason: 'security concern' });
    t.equal(revoked.statusCode, 200);
    t.equal(revoked.json().status, 'revoked');
    for (const [action, payload] of [
      ['revoke', { reason: 'x' }],
      ['approve', { validUntil: '2100-01-01' }],
      ['reinstate', undefined],
      ['reject', { reason: 'x' }],
      ['suspend', { reason: 'x' }],
    ] as const) {
      const res = await post(action, payload);
      t.equal(res.statusCode, 409, `${action} after revoke`);
      t.equal(res.json().code, 'INVALID_TRANSITION');
    }

    const n2 = await nominate(ctx, admin.token, instId);
    const rejected = await ctx.request({ method: 'POST', url: `/v1/researchers/${n2.id}/reject`, token: sup.token, payload: { reason: 'incomplete' } });
    t.equal(rejected.json().status, 'rejected');
    const revokeRejected = await ctx.request({ method: 'POST', url: `/v1/researchers/${n2.id}/revoke`, token: sup.token, payload: { reason: 'x' } });
    t.equal(revokeRejected.statusCode, 200, 'any status but revoked can be revoked');

    const audit = await ctx.request({ method: 'GET', url: `/v1/audit-events?subject=researcher:${r.id}`, token: sup.token });
    t.same(
      audit.json().items.map((e: { action: string }) => e.action),
      [
        'researcher.nominate',
        'researcher.approve',
        'researcher.approve',
        'researcher.suspend',
        'researcher.reinstate',
        'researcher.revoke',
      ],
    );
    const suspendEvent = audit.json().items[3];
    t.equal(suspendEvent.role, 'institution_admin');
    t.equal(suspendEvent.data.reason, 'left the lab');
    t.equal(suspendEvent.data.before.status, 'approved');
    t.equal(suspendEvent.data.after.status, 'suspended');
    t.equal(audit.json().items[2].data.renewal, true);

    const verify = await ctx.request({ method: 'GET', url: '/v1/audit-events/verify', token: sup.token });
    t.equal(verify.json().ok, true);
  });

  await t.test('approval is refused when the institution is suspended or every document has expired', async (t) => {
    const inst = await insertInstitution(ctx.db);
    const r = await nominate(ctx, sup.token, inst.id);
    await ctx.request({ method: 'POST', url: `/v1/institutions/${inst.id}/suspend`, token: sup.token, payload: { reason: 'audit' } });
    const res = await ctx.request({ method: 'POST', url: `/v1/researchers/${r.id}/approve`, token: sup.token, payload: { validUntil: '2099-01-01' } });
    t.equal(res.statusCode, 409);
    t.equal(res.json().code, 'INSTITUTION_SUSPENDED');
    await ctx.request({ method: 'POST', url: `/v1/institutions/${inst.id}/reinstate`, token: sup.token });

    ctx.clock.set('2036-01-01T00:00:00Z');
    const expired = await ctx.request({ method: 'POST', url: `/v1/researchers/${r.id}/approve`, token: sup.token, payload: { validUntil: '2099-01-01' } });
    t.equal(expired.statusCode, 409);
    t.equal(expired.json().code, 'NO_VALID_DOCUMENT');
    ctx.clock.set(new Date());
  });

  await t.test('`expired` is computed at the border date (UTC+08:00), and filterable', async (t) => {
    const r = await nominate(ctx, admin.token, instId);
    await ctx.request({ method: 'POST', url: `/v1/researchers/${r.id}/approve`, token: sup.token, payload: { validFrom: '2030-01-01', validUntil: '2030-06-30' } });
    const read = async () => (await ctx.request({ method: 'GET', url: `/v1/researchers/${r.id}`, token: sup.token })).json().status;
    const listed = async (status: string) =>
      (await ctx.request({ method: 'GET', url: `${url}?status=${status}&limit=200`, token: admin.token })).json().items.map((i: { id: string }) => i.id);

    ctx.clock.set('2030-06-30T15:59:59Z'); // 23:59:59 on 30 June at the border
    t.equal(await read(), 'approved');
    t.ok((await listed('approved')).includes(r.id));
    t.notOk((await listed('expired')).includes(r.id));

    ctx.clock.set('2030-06-30T16:00:00Z'); // midnight, 1 July at the border
    t.equal(await read(), 'expired');
    t.ok((await listed('expired')).includes(r.id));
    t.notOk((await listed('approved')).includes(r.id));

    const renewed = await ctx.request({ method: 'POST', url: `/v1/researchers/${r.id}/approve`, token: sup.token, payload: { validUntil: '2031-06-30' } });
    t.equal(renewed.statusCode, 200, renewed.body);
    t.equal(renewed.json().status, 'approved');
    t.equal(renewed.json().validFrom, '2030-07-01', 'validFrom defaults to today at the border');
    ctx.clock.set(new Date());
  });

  await t.test('PATCH: If-Match 428/412, mass assignment 422 by field, role rules', async (t) => {
    const r = await nominate(ctx, admin.token, instId);
    const patch = (payload: object, token: string, etag?: string) =>
      ctx.request({ method: 'PATCH', url: `/v1/researchers/${r.id}`, token, payload, ...(etag ? { headers: { 'if-match': etag } } : {}) });

    const none = await patch({ email: 'a@b.hk' }, admin.token);
    t.equal(none.statusCode, 428);
    const stale = await patch({ email: 'a@b.hk' }, admin.token, '"v9"');
    t.equal(stale.statusCode, 412);

    const mass = await patch(
      { status: 'approved', institutionId: otherInst.id, validFrom: '2020-01-01', validUntil: '2099-01-01', id: r.id },
      admin.token,
      r.etag,
    );
    t.equal(mass.statusCode, 422, mass.body);
    t.same(paths(mass), ['id', 'institutionId', 'status', 'validFrom', 'validUntil']);
    const byMistake = await patch({ documents: [] }, sup.token, r.etag);
    t.same(paths(byMistake), ['documents']);

    const renamed = await patch({ fullName: 'chan  siu  ming', nameZh: '陳小明' }, admin.token, r.etag);
    t.equal(renamed.statusCode, 200, renamed.body);
    t.equal(renamed.json().fullName, 'CHAN SIU MING');
    t.equal(renamed.headers.etag, '"v2"');
    const staleAgain = await patch({ email: 'b@b.hk' }, admin.token, r.etag);
    t.equal(staleAgain.statusCode, 412, 'the old ETag is stale now');

    await approve(ctx, sup.token, r.id);
    const self = await ctx.caller('researcher', { researcherId: r.id, institutionId: instId });
    let etag = String((await ctx.request({ method: 'GET', url: `/v1/researchers/${r.id}`, token: self.token })).headers.etag);
    const selfName = await patch({ fullName: 'SOMEONE ELSE', email: 'me@x.hk' }, self.token, etag);
    t.equal(selfName.statusCode, 422);
    t.same(paths(selfName), ['fullName'], 'a researcher changes only the email');
    const selfEmail = await patch({ email: 'Me@Lab.HK' }, self.token, etag);
    t.equal(selfEmail.statusCode, 200, selfEmail.body);
    t.equal(selfEmail.json().email, 'me@lab.hk');
    etag = String(selfEmail.headers.etag);

    const locked = await patch({ dateOfBirth: '1970-01-01' }, admin.token, etag);
    t.equal(locked.statusCode, 409, 'identity fields are locked for the institution after vetting');
    t.equal(locked.json().code, 'IDENTITY_LOCKED');
    const supFix = await patch({ dateOfBirth: '1970-01-01' }, sup.token, etag);
    t.equal(supFix.statusCode, 200, 'a supervisor corrects them');
    etag = String(supFix.headers.etag);
    const adminEmail = await patch({ email: 'office@lab.hk', nameZh: null }, admin.token, etag);
    t.equal(adminEmail.statusCode, 200);
    t.equal(adminEmail.json().nameZh, null);

    const audit = await ctx.request({ method: 'GET', url: `/v1/audit-events?subject=researcher:${r.id}&action=researcher.update`, token: sup.token });
    t.equal(audit.json().items.length, 4);
    t.same(audit.json().items[0].data.changed, ['fullName', 'nameZh']);
    t.equal(audit.json().items[0].data.before.fullName, 'SMITH JOHN');
    t.equal(audit.json().items[0].data.after.fullName, 'CHAN SIU MING');

    await ctx.request({ method: 'POST', url: `/v1/researchers/${r.id}/revoke`, token: sup.token, payload: { reason: 'x' } });
    const revoked = await patch({ email: 'z@z.hk' }, sup.token, String((await ctx.request({ method: 'GET', url: `/v1/researchers/${r.id}`, token: sup.token })).headers.etag));
    t.equal(revoked.statusCode, 409);
    t.equal(revoked.json().code, 'RESEARCHER_REVOKED');
  });

  await t.test('documents: add, refuse duplicates, remove, keep the last one', async (t) => {
    const r = await nominate(ctx, admin.token, instId);
    const first = r.documents[0]!.id;
    const docsUrl = `/v1/researchers/${r.id}/documents`;
    const add = await ctx.request({
      method: 'POST',
      url: docsUrl,
      token: admin.token,
      payload: { kind: 'hk_macao_permit', number: 'c 1234 5678', expiresOn: '2033-03-03' },
    });
    t.equal(add.statusCode, 201, add.body);
    t.equal(add.json().documents.length, 2);
    const added = add.json().documents[1];
    t.same([added.kind, added.number, added.issuingCountry], ['hk_macao_permit', 'C12345678', 'CHN']);
    t.equal(add.headers.location, `${docsUrl}/${added.id}`);
    t.equal(add.headers.etag, '"v2"');

    const bad = await ctx.request({ method: 'POST', url: docsUrl, token: admin.token, payload: { kind: 'hkid', number: 'A1234564', expiresOn: '2033-03-03' } });
    t.equal(bad.statusCode, 422);
    t.same(paths(bad), ['number']);

    const dup = await ctx.request({ method: 'POST', url: docsUrl, token: sup.token, payload: { kind: 'hk_macao_permit', number: 'C12345678', expiresOn: '2033-03-03' } });
    t.equal(dup.statusCode, 409);
    t.equal(dup.json().code, 'DOCUMENT_ALREADY_REGISTERED');
    t.same(paths(dup), ['number']);

    const other = await nominate(ctx, admin.token, instId);
    const foreignDoc = await ctx.request({ method: 'DELETE', url: `${docsUrl}/${other.documents[0]!.id}`, token: admin.token });
    t.equal(foreignDoc.statusCode, 404, "another researcher's document is not this one's");

    const removed = await ctx.request({ method: 'DELETE', url: `${docsUrl}/${first}`, token: admin.token });
    t.equal(removed.statusCode, 200, removed.body);
    t.same(removed.json().documents.map((d: { id: string }) => d.id), [added.id]);
    t.equal(removed.headers.etag, '"v3"');

    const last = await ctx.request({ method: 'DELETE', url: `${docsUrl}/${added.id}`, token: admin.token });
    t.equal(last.statusCode, 409);
    t.equal(last.json().code, 'LAST_DOCUMENT');

    const reuse = await nominate(ctx, sup.token, otherInst.id, researcherBody({ documents: [{ kind: r.documents[0]!.kind, number: r.documents[0]!.number, issuingCountry: r.documents[0]!.issuingCountry, expiresOn: r.documents[0]!.expiresOn }] }));
    t.ok(reuse.id, 'a removed document is free again');

    const audit = await ctx.request({ method: 'GET', url: `/v1/audit-events?subject=researcher:${r.id}`, token: sup.token });
    t.same(
      audit.json().items.map((e: { action: string }) => e.action),
      ['researcher.nominate', 'researcher.document_add', 'researcher.document_remove'],
    );
  });
});
