/**
 * The credentials the demo's insurers without FHIR expect (the sandbox's seed gives the same): the demo
 * participants name environment variables, as production registrations do, and demo mode fills in those
 * an operator has not set, so `npm start` works on a fresh machine.
 */
export const DEMO_CREDENTIALS: Readonly<Record<string, string>> = {
  DEMO_OPENIMIS_USERNAME: 'passerelle',
  DEMO_OPENIMIS_PASSWORD: 'demo-openimis-password',
  DEMO_IPM_API_KEY: 'demo-insurer-ipm-key',
};

/** Sets each demo credential variable that is not set already. */
export function provideDemoCredentials(env: NodeJS.ProcessEnv = process.env): void {
  for (const [name, value] of Object.entries(DEMO_CREDENTIALS)) env[name] ??= value;
}
