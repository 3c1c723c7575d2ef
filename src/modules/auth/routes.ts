import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ModuleOptions } from '../../deps.js';
import { problemSchema } from '../../http/problem.js';
import { tokenBody, tokenResponse } from './schemas.js';

export const authRoutes: FastifyPluginAsyncZod<ModuleOptions> = async (app, { services }) => {
  const { auth } = services;

  // OAuth 2.0 clients post the token request as a form; accept that as well as JSON.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16_384 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.post(
    '/v1/auth/token',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Exchange a username and password, or an API client id and secret, for a short-lived access token',
        security: [],
        body: tokenBody,
        response: { 200: tokenResponse, 400: problemSchema, 401: problemSchema, 422: problemSchema, 429: problemSchema },
      },
    },
    async (request, reply) => {
      const principal = await auth.grant(request.body, request.ip);
      const { token, expiresIn } = app.issueToken(principal);
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      return { access_token: token, token_type: 'Bearer' as const, expires_in: expiresIn };
    },
  );
};
