/**
 * The pure parts of the gateway commands: connection settings, exit codes, the language of the help,
 * the default Idempotency-Key, and what is printed of issues and polled messages.
 */
import { contentKey } from './claims-cli.js';
import { AuthenticationError, ConnectionSettingsError, GatewayFailure, GatewayRefusal, GatewayUnreachable, connectionFromEnv, exitCodeOf } from './gateway-client.js';
import { describeFailure, helpLanguage, issueLines } from './gateway-command.js';
import { messageSummary } from './poll-cli.js';
import { UsageError } from '../validation/validate-cli.js';

describe('connectionFromEnv', () => {
  it('reads the URL (default the demo) and the client, and names what is missing', () => {
    expect(connectionFromEnv({ PASSERELLE_CLIENT_ID: 'a', PASSERELLE_CLIENT_SECRET: 'b' })).toEqual({ url: 'http://127.0.0.1:8080', clientId: 'a', clientSecret: 'b' });
    expect(connectionFromEnv({ PASSERELLE_URL: 'https://gw.example/', PASSERELLE_CLIENT_ID: 'a', PASSERELLE_CLIENT_SECRET: 'b' }).url).toBe('https://gw.example');
    expect(() => connectionFromEnv({})).toThrow('Set PASSERELLE_CLIENT_ID and PASSERELLE_CLIENT_SECRET to an operator client (demo: demo-operator / demo-operator-secret)');
    expect(() => connectionFromEnv({ PASSERELLE_CLIENT_ID: 'a' }, 'participant')).toThrow('a participant client (demo: demo-clinic / demo-clinic-secret)');
    expect(() => connectionFromEnv({ PASSERELLE_URL: 'gw.example', PASSERELLE_CLIENT_ID: 'a', PASSERELLE_CLIENT_SECRET: 'b' })).toThrow(ConnectionSettingsError);
  });
});

describe('exit codes', () => {
  it('1 refused, 2 usage and configuration, 3 unreachable or failed', () => {
    expect(exitCodeOf(new GatewayRefusal(422, {}))).toBe(1);
    expect(exitCodeOf(new UsageError('x'))).toBe(2);
    expect(exitCodeOf(new ConnectionSettingsError('credentials', 'operator'))).toBe(2);
    expect(exitCodeOf(new AuthenticationError(401, 'wrong secret'))).toBe(2);
    expect(exitCodeOf(new GatewayUnreachable('http://x', 'ECONNREFUSED'))).toBe(3);
    expect(exitCodeOf(new GatewayFailure('http://x', 503))).toBe(3);
  });

  it('words each failure in the language', () => {
    const refusal = new GatewayRefusal(404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found', details: { coding: [{ code: 'not-found' }], text: 'Claim/x is not known' } }] });
    expect(refusal.message).toBe('Claim/x is not known');
    expect(describeFailure(refusal, 'fr')).toBe('La passerelle a refusé la demande (HTTP 404) :\n  erreur  not-found  -  Claim/x is not known');
    expect(describeFailure(new GatewayFailure('http://x', 503), 'en')).toBe('The gateway at http://x failed (HTTP 503). Try again later.');
  });
});

describe('helpLanguage', () => {
  it('takes --lang from the command line, else the locale', () => {
    expect(helpLanguage(['node', 'cli', 'submit', '--help', '--lang', 'fr'], {})).toBe('fr');
    expect(helpLanguage(['node', 'cli', 'submit', '--lang=en'], { LANG: 'fr_FR.UTF-8' })).toBe('en');
    expect(helpLanguage(['node', 'cli', 'submit', '--lang', 'de'], { LC_ALL: 'fr_SN' })).toBe('fr');
    expect(helpLanguage(['node', 'cli'], {})).toBe('en');
  });
});

describe('contentKey', () => {
  it('is the same for the same content and language, and a valid Idempotency-Key', () => {
    expect(contentKey('{"a":1}', 'en')).toBe(contentKey(Buffer.from('{"a":1}'), 'en'));
    expect(contentKey('{"a":1}', 'en')).not.toBe(contentKey('{"a":1}', 'fr'));
    expect(contentKey('{"a":2}', 'en')).toMatch(/^[\x21-\x7e]{1,255}$/);
  });
});

describe('what is printed', () => {
  it('one aligned line per issue, with its rule id and FHIRPath', () => {
    expect(issueLines([
      { severity: 'error', code: 'required', details: { coding: [{ code: 'validation' }, { code: 'fhir-cardinality-min' }], text: 'Missing "identifier"' }, expression: ['Claim.identifier'] },
      { severity: 'warning', code: 'code-invalid', diagnostics: 'not in the\nvalue set' },
    ], 'en')).toEqual(['  error    fhir-cardinality-min  Claim.identifier  Missing "identifier"', '  warning  code-invalid  -  not in the value set']);
  });

  it('polled messages by what they are about, never the patient', () => {
    const answer = { resourceType: 'ClaimResponse', id: 'r1', request: { reference: 'Claim/c1' }, patient: { identifier: { value: 'M0001' } }, outcome: 'complete', payment: { amount: { value: 18400, currency: 'XOF' } } };
    expect(messageSummary(answer as never, 'en')).toBe('Claim/c1: outcome complete, paid 18400 XOF');
    expect(messageSummary(answer as never, 'fr')).toBe('Claim/c1 : résultat complete, payé 18400 XOF');
    expect(messageSummary({ resourceType: 'CommunicationRequest', id: 'q1', about: [{ reference: 'Claim/c1' }], payload: [{ contentString: 'secret' }] } as never, 'en'))
      .toBe('the insurer asks for information about Claim/c1');
    expect(messageSummary({ resourceType: 'PaymentNotice', id: 'p1', amount: { value: 5, currency: 'XOF' }, request: { reference: 'Claim/c1' } } as never, 'en')).toBe('payment of 5 XOF for Claim/c1');
  });
});
