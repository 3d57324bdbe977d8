/**
 * The OpenAPI description matches the routes the app really has, both ways, and is served with
 * Swagger UI (offline), in English or French: ?lang=fr|en, else Accept-Language, else DEFAULT_LANGUAGE.
 */
import { runInNewContext } from 'node:vm';
import express from 'express';
import { apiDocsRouter } from '../gateway/api-docs/router.js';
import { describedRoutes, describedTexts } from '../gateway/api-docs/openapi.js';
import { listenOnFreePort } from './http-server.js';
import { startTestGateway, type TestGateway } from './harness.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw?.stop();
});

interface Layer { route?: { path: string | string[]; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } }

/** "METHOD /path/{param}" of every route, walking nested routers. */
function routes(stack: Layer[]): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      return paths.flatMap((p) => Object.keys(layer.route!.methods).map((m) => `${m.toUpperCase()} ${p.replace(/:(\w+)/g, '{$1}')}`));
    }
    return layer.handle?.stack ? routes(layer.handle.stack) : [];
  });
}

describe('OpenAPI', () => {
  it('describes every route, and only routes that exist', async () => {
    const document = (await (await fetch(`${gw.url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document.openapi).toBe('3.0.3');
    const described = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    const actual = [...new Set(routes((gw.passerelle.app as unknown as { router: { stack: Layer[] } }).router.stack))].sort();
    expect(actual).toEqual(described);
  });

  it('serves Swagger UI from the package', async () => {
    const page = await fetch(`${gw.url}/docs/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('swagger-ui');
    expect((await fetch(`${gw.url}/docs/swagger-ui-bundle.js`)).status).toBe(200);
    // Not the package's own index.html, which points at the petstore example.
    const index = await (await fetch(`${gw.url}/docs/index.html`)).text();
    expect(index).toContain('swagger-ui-init.js?lang=en');
    expect(index).not.toMatch(/petstore/i);
  });
});

interface Document {
  info: { description: string };
  tags: Array<{ name: string; description: string }>;
  components: { securitySchemes: { bearer: { description: string } } };
  paths: Record<string, Record<string, { summary: string; tags: string[]; responses: Record<string, { description: string }> }>>;
}

async function openApi(query = '', headers: Record<string, string> = {}): Promise<{ document: Document; headers: Headers }> {
  const res = await fetch(`${gw.url}/openapi.json${query}`, { headers });
  expect(res.status).toBe(200);
  return { document: (await res.json()) as Document, headers: res.headers };
}

/** Every summary of a served document, by "METHOD path". */
const summaries = (document: Document) => Object.fromEntries(Object.entries(document.paths)
  .flatMap(([path, methods]) => Object.entries(methods).map(([m, op]) => [`${m.toUpperCase()} ${path}`, op.summary])));

/** What the description says, in one language, by "METHOD path". */
const expected = (language: 'en' | 'fr') => Object.fromEntries(describedRoutes().map(({ path, method, operation }) => [`${method.toUpperCase()} ${path}`, operation.summary[language]]));

describe('OpenAPI in English and French', () => {
  it('answers in French for Accept-Language: fr and for ?lang=fr, in English by default, and says it varies by Accept-Language', async () => {
    const english = await openApi();
    expect(summaries(english.document)).toEqual(expected('en'));
    expect(english.document.paths['/fhir/Claim/$submit']!.post!.summary).toMatch(/^Submit a claim Bundle/);
    expect(english.headers.get('vary')).toMatch(/Accept-Language/i);
    expect(english.headers.get('content-language')).toBe('en');

    const byHeader = await openApi('', { 'Accept-Language': 'fr-SN,fr;q=0.9,en;q=0.5' });
    expect(summaries(byHeader.document)).toEqual(expected('fr'));
    expect(byHeader.document.paths['/fhir/Claim/$submit']!.post!.summary).toMatch(/^Soumettre une demande de remboursement/);
    expect(byHeader.document.paths['/admin/dead-letters/replay']!.post!.summary).toMatch(/^Rejouer des lettres mortes/);
    expect(byHeader.document.info.description).toMatch(/^Passerelle FHIR R4 de demandes de remboursement/);
    expect(byHeader.document.tags.find((t) => t.name === 'Operator')?.description).toMatch(/lettres mortes/);
    expect(byHeader.document.components.securitySchemes.bearer.description).toBe('Obtenu par POST /auth/token (SMART Backend Services)');
    expect(byHeader.document.paths['/fhir/Claim/{id}']!.get!.responses['404']!.description).toBe('Introuvable (ou ne vous appartient pas)');
    expect(byHeader.headers.get('vary')).toMatch(/Accept-Language/i);
    expect(byHeader.headers.get('content-language')).toBe('fr');

    const byLink = await openApi('?lang=fr');
    expect(summaries(byLink.document)).toEqual(expected('fr'));
    expect(byLink.headers.get('content-language')).toBe('fr');

    // ?lang= wins over Accept-Language (a link to the English description from a French browser).
    expect(summaries((await openApi('?lang=en', { 'Accept-Language': 'fr' })).document)).toEqual(expected('en'));
    // Anything else falls back to Accept-Language, then the default.
    expect(summaries((await openApi('?lang=de', { 'Accept-Language': 'fr' })).document)).toEqual(expected('fr'));
    expect(summaries((await openApi('', { 'Accept-Language': 'de, en;q=0.5' })).document)).toEqual(expected('en'));
  });

  it('keeps the same paths, operations and tags in both languages (only the texts change)', async () => {
    const en = (await openApi('?lang=en')).document;
    const fr = (await openApi('?lang=fr')).document;
    const shape = (d: Document) => Object.entries(d.paths).flatMap(([path, methods]) => Object.entries(methods).map(([m, op]) => `${m} ${path} ${op.tags.join()}`));
    expect(shape(fr)).toEqual(shape(en));
    expect(fr.tags.map((t) => t.name)).toEqual(en.tags.map((t) => t.name));
    // Every tag an operation uses is described.
    expect([...new Set(shape(en).map((s) => s.split(' ')[2]))].sort()).toEqual(en.tags.map((t) => t.name).sort());
  });

  it('has every text in both languages, non-empty, and the French really translated', () => {
    const texts = describedTexts();
    expect(texts.filter((t) => t.where.includes(' /')).length).toBe(describedRoutes().length);
    expect(describedRoutes().length).toBeGreaterThanOrEqual(57);
    /** A text that is only a technical token (a path, a code, a header name) may read the same in both languages. */
    const technical = (text: string) => /^[\w$/{}.|:-]+$/.test(text);
    const problems: string[] = [];
    for (const { where, text } of texts) {
      if (!text.en.trim() || !text.fr.trim()) problems.push(`${where}: empty`);
      else if (text.en === text.fr && !technical(text.en)) problems.push(`${where}: French same as English: ${text.fr}`);
      // English words left in a French text, or French written in the English one.
      const english = /\b(the|and|with|of|its|their|when|only|from|for|by|is|are|to|this|one|every|each|without)\b/i.exec(text.fr.replace(/\{[^}]*\}|"[^"]*"|\S+[=/]\S*/g, ' '));
      if (english) problems.push(`${where}: English "${english[0]}" in the French: ${text.fr}`);
      if (/[éèêàâçôîûù«»]|\b(le|la|les|des|du|une|et|avec|pour|sans|par|sur|dans|trop)\b/i.test(text.en)) problems.push(`${where}: French in the English: ${text.en}`);
    }
    expect(problems).toEqual([]);
  });

  it('shows /docs in French for ?lang=fr and for a French browser, with both descriptions to switch between, offline', async () => {
    const page = async (path: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${gw.url}${path}`, { headers });
      expect(res.status).toBe(200);
      expect(res.headers.get('vary')).toMatch(/Accept-Language/i);
      return { url: res.url, html: await res.text() };
    };
    const linked = await page('/docs?lang=fr'); // redirected to /docs/?lang=fr
    expect(linked.url).toBe(`${gw.url}/docs/?lang=fr`);
    expect(linked.html).toContain('<html lang="fr">');
    expect(linked.html).toContain("<title>Passerelle : documentation de l'API</title>");
    expect(linked.html).toContain('swagger-ui');
    // Offline: every script and stylesheet comes from the gateway itself, no CDN.
    for (const [, ref] of linked.html.matchAll(/(?:src|href)="([^"]+)"/g)) expect(ref).toMatch(/^\.\//);

    const browser = await page('/docs/', { 'Accept-Language': 'fr-FR,fr;q=0.9' });
    expect(browser.html).toContain('<html lang="fr">');
    expect(browser.html).toContain('./swagger-ui-init.js?lang=fr');
    const english = await page('/docs/');
    expect(english.html).toContain('<html lang="en">');
    expect(english.html).toContain('./swagger-ui-init.js?lang=en');
    expect((await page('/docs/?lang=en', { 'Accept-Language': 'fr' })).html).toContain('<html lang="en">');

    // The start script Swagger UI runs: both descriptions in its dropdown, the French one shown.
    const src = /src="\.\/(swagger-ui-init\.js\?lang=fr)"/.exec(linked.html)![1]!;
    const script = await fetch(new URL(src, linked.url));
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    let options: { urls: Array<{ url: string; name: string }>; 'urls.primaryName': string } | undefined;
    const window: { onload?: () => void; ui?: unknown } = {};
    const SwaggerUIBundle = Object.assign((o: typeof options) => { options = o; return {}; }, { presets: { apis: {} }, plugins: { DownloadUrl: {} } });
    runInNewContext(await script.text(), { window, SwaggerUIBundle, SwaggerUIStandalonePreset: {} });
    window.onload!();
    expect(options!.urls.map((u) => u.name)).toEqual(['English', 'Français']);
    expect(options!['urls.primaryName']).toBe('Français');
    const shown = options!.urls.find((u) => u.name === 'Français')!;
    const french = (await (await fetch(new URL(shown.url, linked.url))).json()) as Document;
    expect(summaries(french)).toEqual(expected('fr'));
    const other = options!.urls.find((u) => u.name === 'English')!;
    expect(summaries((await (await fetch(new URL(other.url, linked.url), { headers: { 'Accept-Language': 'fr' } })).json()) as Document)).toEqual(expected('en'));
    expect((await fetch(`${gw.url}/docs/swagger-ui.css`)).status).toBe(200);
  });

  it('answers in DEFAULT_LANGUAGE a request that names neither language', async () => {
    const app = express();
    app.use(apiDocsRouter('/', 'fr'));
    const server = await listenOnFreePort(app);
    try {
      const plain = (await (await fetch(`${server.url}/openapi.json`)).json()) as Document;
      expect(summaries(plain)).toEqual(expected('fr'));
      const asked = (await (await fetch(`${server.url}/openapi.json`, { headers: { 'Accept-Language': 'en-GB' } })).json()) as Document;
      expect(summaries(asked)).toEqual(expected('en'));
      expect(await (await fetch(`${server.url}/docs/`)).text()).toContain('<html lang="fr">');
    } finally {
      await server.close();
    }
  });
});
