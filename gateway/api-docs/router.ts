/**
 * GET /openapi.json (the description) and /docs (Swagger UI, served from the package: works offline),
 * in the language of the request: ?lang=fr|en, else Accept-Language, else DEFAULT_LANGUAGE. The page
 * of /docs is the gateway's own (swagger-ui-express serves the Swagger UI files): it loads both
 * descriptions, English and French, in the definition dropdown of the top bar, showing the reader's
 * language selected; /docs?lang=fr and /docs?lang=en are links to either.
 */
import express, { type Request, type RequestHandler, type Response } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { Language } from '../validation/rules.js';
import { answeredIn, documentationLanguage } from './language.js';
import { openApiDocument } from './openapi.js';

const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', fr: 'Français' };

const TITLE: Record<Language, string> = { en: 'Passerelle API', fr: "Passerelle : documentation de l'API" };

/** The page of /docs: Swagger UI's files, and the start script for the reader's language. */
function docsPage(language: Language): string {
  return `<!DOCTYPE html>
<html lang="${language}">
<head>
  <meta charset="UTF-8">
  <title>${TITLE[language]}</title>
  <link rel="stylesheet" type="text/css" href="./swagger-ui.css">
  <link rel="icon" type="image/png" href="./favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="./favicon-16x16.png" sizes="16x16">
  <style>html { box-sizing: border-box; overflow-y: scroll; } *, *:before, *:after { box-sizing: inherit; } body { margin: 0; background: #fafafa; }</style>
</head>
<body>
<div id="swagger-ui"></div>
<script src="./swagger-ui-bundle.js" charset="UTF-8"></script>
<script src="./swagger-ui-standalone-preset.js" charset="UTF-8"></script>
<script src="./swagger-ui-init.js?lang=${language}" charset="UTF-8"></script>
</body>
</html>
`;
}

/**
 * The start script of Swagger UI: both descriptions in the top bar's dropdown ("English", "Français"),
 * the reader's language selected. The URLs are relative to /docs/, so they work behind a path prefix.
 */
function docsScript(language: Language): string {
  const options = {
    urls: (['en', 'fr'] as const).map((l) => ({ url: `../openapi.json?lang=${l}`, name: LANGUAGE_NAMES[l] })),
    'urls.primaryName': LANGUAGE_NAMES[language],
    dom_id: '#swagger-ui',
    deepLinking: true,
    layout: 'StandaloneLayout',
  };
  return `window.onload = function () {
  var options = ${JSON.stringify(options, null, 2)};
  options.presets = [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset];
  options.plugins = [SwaggerUIBundle.plugins.DownloadUrl];
  window.ui = SwaggerUIBundle(options);
};
`;
}

/** The API documentation router. */
export function apiDocsRouter(publicBaseUrl?: string, defaultLanguage: Language = 'en'): express.Router {
  const router = express.Router();
  const documents = { en: openApiDocument(publicBaseUrl ?? '/', 'en'), fr: openApiDocument(publicBaseUrl ?? '/', 'fr') };
  const pages = { en: docsPage('en'), fr: docsPage('fr') };
  const scripts = { en: docsScript('en'), fr: docsScript('fr') };
  const language = (req: Request, res: Response) => {
    const chosen = documentationLanguage(req, defaultLanguage);
    answeredIn(res, chosen);
    return chosen;
  };
  router.get('/openapi.json', (req, res) => {
    res.json(documents[language(req, res)]);
  });
  // Under /docs: the start script (before swagger-ui-express's own, which would serve a shared one),
  // Swagger UI's files (and /docs redirected to /docs/, query kept), then the page.
  const script: RequestHandler = (req, res, next) => {
    if (req.path !== '/swagger-ui-init.js') return next();
    res.type('application/javascript').send(scripts[language(req, res)]);
  };
  // The page at /docs/ (after swagger-ui-express, which redirects /docs there) and at /docs/index.html
  // (before it: swagger-ui-dist's own index.html would show its petstore example).
  const pageAt = (path: string): RequestHandler => (req, res, next) => {
    if (req.path !== path || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    res.type('html').send(pages[language(req, res)]);
  };
  router.use('/docs', script, pageAt('/index.html'), swaggerUi.serve, pageAt('/'));
  return router;
}
