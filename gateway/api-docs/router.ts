/**
 * GET /openapi.json (the description) and /docs (Swagger UI, served from the package: works offline).
 */
import express from 'express';
import swaggerUi from 'swagger-ui-express';
import { openApiDocument } from './openapi.js';

/** The API documentation router. */
export function apiDocsRouter(publicBaseUrl?: string): express.Router {
  const router = express.Router();
  const document = openApiDocument(publicBaseUrl ?? '/');
  router.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  router.use('/docs', swaggerUi.serve, swaggerUi.setup(document, { customSiteTitle: 'Passerelle API' }));
  return router;
}
