/**
 * The OpenAPI description matches the routes the app really has, both ways, and is served with
 * Swagger UI (offline).
 */
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
  });
});
