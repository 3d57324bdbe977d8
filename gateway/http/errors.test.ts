import express from 'express';
import request from 'supertest';
import { createLogger } from '../logger.js';
import { gatewayError } from '../fhir/outcomes.js';
import { errorHandler, unknownRoute } from './errors.js';

function appThrowing(err: unknown) {
  const app = express();
  app.get('/boom', () => {
    throw err;
  });
  app.use(unknownRoute);
  app.use(errorHandler(createLogger('silent')));
  return app;
}

const codeOf = (body: { issue: Array<{ details: { coding: Array<{ code: string }> } }> }) => body.issue[0]!.details.coding[0]!.code;

describe('errorHandler', () => {
  it('sends an OperationOutcomeError as it is', async () => {
    const res = await request(appThrowing(gatewayError('validation', 'bad'))).get('/boom');
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
    expect(codeOf(res.body)).toBe('validation');
  });

  it('turns an unexpected error into a generic 500 that does not leak its message', async () => {
    const res = await request(appThrowing(new Error('password=hunter2 at db.internal:5432'))).get('/boom');
    expect(res.status).toBe(500);
    expect(codeOf(res.body)).toBe('internal');
    expect(JSON.stringify(res.body)).not.toMatch(/hunter2|db\.internal/);
  });

  it('answers 503 with Retry-After when the database cannot be reached', async () => {
    const res = await request(appThrowing(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).get('/boom');
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(codeOf(res.body)).toBe('unavailable');
  });

  it('maps body-parser errors to their 4xx', async () => {
    const res = await request(appThrowing(Object.assign(new Error('too big'), { type: 'entity.too.large', limit: 10 }))).get('/boom');
    expect(res.status).toBe(413);
    expect(codeOf(res.body)).toBe('body-too-large');
  });

  it('answers 404 not-found for routes the gateway does not have', async () => {
    const res = await request(appThrowing(null)).get('/nowhere');
    expect(res.status).toBe(404);
    expect(codeOf(res.body)).toBe('not-found');
  });
});
