/**
 * The OpenAPI 3 description of every endpoint, served at /openapi.json and browsable at /docs. A test
 * checks it against the routes the app really has, both ways.
 */
export type Operation = { summary: string; tag: string; auth?: 'bearer' | 'none'; scope?: string; body?: 'fhir' | 'form' | 'json'; query?: string[]; ok: string; errors?: number[] };

/** What each exchange is (gateway/exchanges/): its POST, search by claim and read share one shape. */
const EXCHANGES: Record<string, string> = {
  CommunicationRequest: "An insurer's request for information about claims addressed to it (about = Claim/{id}), for their provider",
  Communication: "A provider's message about its claims (about = Claim/{id}), usually answering an information request (basedOn = CommunicationRequest/{id}), with attachments; sent on to the insurer",
  PaymentReconciliation: "An insurer's payment of claims addressed to it (detail.request = Claim/{id}), for their provider; the details add up to the payment",
  PaymentNotice: "An insurer's notice of a payment (payment = PaymentReconciliation/{id}, request = Claim/{id}), for the provider",
};

function exchangeRoutes(): Record<string, Record<string, Operation>> {
  return Object.fromEntries(Object.entries(EXCHANGES).flatMap(([type, summary]) => [
    [`/fhir/${type}`, {
      get: { summary: `The ${type} resources about a claim the caller is a party to: ?claim=Claim/{id}`, tag: 'Lifecycle', scope: `system/${type}.read`, query: ['claim'], ok: '200', errors: [400, 401, 403] },
      post: { summary: `${summary}. 201 with the stored resource (200 when the same resource was sent before). Honours Idempotency-Key`, tag: 'Lifecycle', scope: `system/${type}.write`, body: 'fhir', ok: '201', errors: [401, 403, 413, 415, 422] },
    }],
    [`/fhir/${type}/{id}`, { get: { summary: `A ${type} the caller sent or received`, tag: 'Lifecycle', scope: `system/${type}.read`, ok: '200', errors: [401, 403, 404, 410] } }],
  ]));
}

const FHIR = 'application/fhir+json';
const ops: Record<string, Record<string, Operation>> = {
  '/healthz': { get: { summary: 'The process is alive', tag: 'Operations', auth: 'none', ok: '200' } },
  '/readyz': { get: { summary: 'Database (migrated) and Redis reachable', tag: 'Operations', auth: 'none', ok: '200', errors: [503] } },
  '/metrics': { get: { summary: 'Prometheus metrics (counts only)', tag: 'Operations', auth: 'none', ok: '200' } },
  '/openapi.json': { get: { summary: 'This description', tag: 'Operations', auth: 'none', ok: '200' } },
  '/.well-known/jwks.json': { get: { summary: "The gateway's public keys: signing (callbacks) and encryption (use enc)", tag: 'Security', auth: 'none', ok: '200' } },
  '/.well-known/smart-configuration': { get: { summary: 'SMART Backend Services discovery', tag: 'Security', auth: 'none', ok: '200' } },
  '/auth/token': { post: { summary: 'OAuth2 client credentials: private_key_jwt (client_assertion) or, where enabled, a client secret', tag: 'Security', auth: 'none', body: 'form', ok: '200', errors: [400, 401] } },
  '/fhir/Claim/$submit': { post: { summary: 'Submit a claim Bundle (collection, Claim first); 202 with a queued ClaimResponse. Honours Idempotency-Key', tag: 'Claims', scope: 'system/Claim.write', body: 'fhir', ok: '202', errors: [400, 401, 403, 409, 413, 415, 422, 429] } },
  '/fhir/Claim/{id}': { get: { summary: 'A claim with its processing status (extension claim-processing-status)', tag: 'Claims', scope: 'system/Claim.read', ok: '200', errors: [401, 404, 410] } },
  '/fhir/ClaimResponse': {
    get: { summary: 'The responses of a claim: ?request=Claim/{id}', tag: 'Claims', scope: 'system/ClaimResponse.read', query: ['request'], ok: '200', errors: [400, 401] },
    post: { summary: "An insurer's answer to a claim addressed to it (signed with Passerelle-JWS when it registered keys). Honours Idempotency-Key", tag: 'Claims', scope: 'system/ClaimResponse.write', body: 'fhir', ok: '201', errors: [401, 404, 422] },
  },
  '/fhir/$poll': { get: { summary: "Endpoint-wide polling for participants that cannot receive pushes: the messages waiting for the caller, oldest first, at most _count (default 50, up to 500); total says how many wait. A provider gets its claims' ClaimResponses (after the first queued one), the final answers of its eligibility requests answered queued, information requests and payments; an insurer the providers' Communications. Each kind only with its read scope. They come again until acknowledged", tag: 'Claims', scope: 'any participant', query: ['_count'], ok: '200', errors: [400, 401, 403] } },
  '/fhir/$poll-ack': { post: { summary: 'Acknowledges polled messages: a Parameters resource with a parameter "message" (valueReference ClaimResponse/{id}, CommunicationRequest/{id}, PaymentNotice/{id}, ...) per message; 200 with how many were waiting. Messages of other participants are ignored', tag: 'Claims', scope: 'any participant', body: 'fhir', ok: '200', errors: [400, 401, 403, 415, 422] } },
  ...exchangeRoutes(),
  '/fhir/$process-message': { post: { summary: "FHIR messaging: a Bundle of type message (MessageHeader first: eventCoding from the gateway's event table or NPHIES's, focus the resource of the interaction) runs the same interaction as its REST call, with its scope. 200 with the response message (MessageHeader.response.identifier = the request's header id; code ok, or fatal-error / transient-error with an OperationOutcome). Processed once per Bundle.id", tag: 'Lifecycle', scope: 'the event\'s', body: 'fhir', ok: '200', errors: [401, 403, 409, 413, 415, 422] } },
  '/fhir/Task': { post: { summary: "A provider's Task about one of its claims (financial task codes, focus Claim/{id}): status (the claim's processing status as businessStatus and its latest ClaimResponse as output; the insurer is asked first when the claim waits for its answer) or cancel (409 when too late or the insurer takes no cancellations). 200 with the Task completed; other codes refused (422 task-unsupported)", tag: 'Claims', scope: 'system/Task.write', body: 'fhir', ok: '200', errors: [400, 401, 403, 404, 409, 413, 415, 422, 503] } },
  '/fhir/ClaimResponse/{id}': { get: { summary: 'One ClaimResponse', tag: 'Claims', scope: 'system/ClaimResponse.read', ok: '200', errors: [401, 404, 410] } },
  '/fhir/CoverageEligibilityRequest/$submit': { post: { summary: "Is a member covered, and for what? A CoverageEligibilityRequest (alone or first in a collection Bundle with its Patient and Coverage); 200 with a CoverageEligibilityResponse from the insurer's synced registry or live API, 202 with a queued one when the insurer is slower than the budget (the answer follows by pull and push), 503 when the insurer is unavailable. Honours Idempotency-Key", tag: 'Eligibility', scope: 'system/CoverageEligibilityRequest.write', body: 'fhir', ok: '200', errors: [400, 401, 403, 409, 413, 415, 422, 429, 503] } },
  '/fhir/CoverageEligibilityRequest/{id}': { get: { summary: 'An eligibility request as the gateway received it', tag: 'Eligibility', scope: 'system/CoverageEligibilityResponse.read', ok: '200', errors: [401, 404] } },
  '/fhir/CoverageEligibilityResponse': { get: { summary: 'The answers to an eligibility request (queued, then final): ?request=CoverageEligibilityRequest/{id}', tag: 'Eligibility', scope: 'system/CoverageEligibilityResponse.read', query: ['request'], ok: '200', errors: [400, 401] } },
  '/fhir/CoverageEligibilityResponse/{id}': { get: { summary: 'One CoverageEligibilityResponse', tag: 'Eligibility', scope: 'system/CoverageEligibilityResponse.read', ok: '200', errors: [401, 404] } },
  '/fhir/$validate': { post: { summary: 'Validate a resource or Bundle (or Parameters with resource and profile) against FHIR R4, the base pack and, with ?insurer=, that insurer\'s packs in force; ?profile= adds a profile. 200 with every issue', tag: 'Validation', scope: 'any participant', body: 'fhir', query: ['profile', 'insurer'], ok: '200', errors: [400, 401, 413, 415, 422] } },
  '/fhir/{type}/$validate': { post: { summary: 'Validate a resource of this type (as /fhir/$validate)', tag: 'Validation', scope: 'any participant', body: 'fhir', query: ['profile', 'insurer'], ok: '200', errors: [400, 401, 404, 413, 415, 422] } },
  '/fhir/metadata': { get: { summary: 'The CapabilityStatement: resources, operations, supported profiles, security', tag: 'Validation', auth: 'none', ok: '200' } },
  '/fhir/StructureDefinition': { get: { summary: 'Published profiles of the packs, by url (url|version accepted), version or name', tag: 'Validation', auth: 'none', query: ['url', 'version', 'name'], ok: '200' } },
  '/fhir/StructureDefinition/{id}': { get: { summary: 'A published profile (newest version)', tag: 'Validation', auth: 'none', ok: '200', errors: [404] } },
  '/fhir/ValueSet': { get: { summary: 'Published value sets of the packs, by url, version or name', tag: 'Validation', auth: 'none', query: ['url', 'version', 'name'], ok: '200' } },
  '/fhir/ValueSet/{id}': { get: { summary: 'A published value set (newest version)', tag: 'Validation', auth: 'none', ok: '200', errors: [404] } },
  '/fhir/CodeSystem': { get: { summary: 'Published code systems of the packs, by url, version or name', tag: 'Validation', auth: 'none', query: ['url', 'version', 'name'], ok: '200' } },
  '/fhir/CodeSystem/{id}': { get: { summary: 'A published code system (newest version)', tag: 'Validation', auth: 'none', ok: '200', errors: [404] } },
  '/fhir/AuditEvent': { get: { summary: 'The audit trail (operators: everything; participants: their own records)', tag: 'Audit', scope: 'system/AuditEvent.read', query: ['entity', 'agent', 'date', '_count', '_offset'], ok: '200', errors: [400, 401] } },
  '/admin/dead-letters': { get: { summary: 'Dead letters, most recent first', tag: 'Operator', scope: 'admin', query: ['insurer', '_count', '_offset'], ok: '200' } },
  '/admin/dead-letters/replay': { post: { summary: 'Replay dead letters in bulk: {"claims": [...]} or {"all": true, "insurer"?}', tag: 'Operator', scope: 'admin', body: 'json', ok: '200' } },
  '/admin/stuck-claims': { get: { summary: "Claims without an insurer answer past their insurer's deadline", tag: 'Operator', scope: 'admin', query: ['insurer', '_count', '_offset'], ok: '200' } },
  '/admin/claims/{id}': { get: { summary: 'A claim with its timeline, validation issues and responses; the request and response bundles (patient data) only with the admin:phi scope', tag: 'Operator', scope: 'admin', ok: '200', errors: [404] } },
  '/admin/transactions': { get: { summary: 'The transaction log: claims and eligibility requests, newest first, filtered by kind (claim, eligibility), provider, insurer, status, since/until (date or instant) and identifier (id or business identifier)', tag: 'Operator', scope: 'admin', query: ['kind', 'provider', 'insurer', 'status', 'since', 'until', 'identifier', '_count', '_offset'], ok: '200', errors: [400] } },
  '/admin/eligibility-requests/{id}': { get: { summary: 'An eligibility request: provider, insurer, answered from the synced registry or live, when, outcome and error codes; the request and its answers (patient data) only with the admin:phi scope', tag: 'Operator', scope: 'admin', ok: '200', errors: [404] } },
  '/admin/insurer-health': { get: { summary: "Each insurer's health: delivery queue depth (waiting, active, failed, delayed), answer latency p50/p99 and error rate over the last 15 minutes, dead letters, stuck claims, circuit state", tag: 'Operator', scope: 'admin', ok: '200' } },
  '/console/session': {
    get: { summary: 'The operator console session of this browser (cookie), or {"authenticated": false} and whether client secrets are enabled', tag: 'Operator', auth: 'none', ok: '200' },
    post: { summary: 'Console login: {"clientId", "secret"} of an operator client with the admin scope (where client secrets are enabled); sets the HttpOnly session cookie. Needs the X-Passerelle-CSRF header; rate-limited per address', tag: 'Operator', auth: 'none', body: 'json', ok: '200', errors: [400, 401, 403, 415, 429] },
    delete: { summary: 'Console logout: ends the session on the server (no token of it is accepted again) and clears the cookie. Needs the X-Passerelle-CSRF header', tag: 'Operator', auth: 'none', ok: '204', errors: [403] },
  },
  '/admin/claims/{id}/replay': { post: { summary: 'Replay one dead letter (same insurer idempotency key)', tag: 'Operator', scope: 'admin', ok: '200', errors: [404, 409] } },
  '/admin/registries': { get: { summary: "Insurers' registries: mode, policy, coverages by status, last imports, incremental sync, circuit", tag: 'Registry', scope: 'admin', ok: '200' } },
  '/admin/registries/{id}': { get: { summary: "One insurer's registry", tag: 'Registry', scope: 'admin', ok: '200', errors: [404] } },
  '/admin/registries/{id}/$sync': { post: { summary: 'Run the incremental sync of a synced registry now', tag: 'Registry', scope: 'admin', ok: '202', errors: [404, 422] } },
  '/admin/participants': {
    get: { summary: 'The participant registry', tag: 'Registry', scope: 'admin', ok: '200' },
    post: { summary: 'Register a participant (strict body: no server-owned fields)', tag: 'Registry', scope: 'admin', body: 'json', ok: '201', errors: [409, 422] },
  },
  '/admin/participants/{id}': {
    get: { summary: 'One participant, its clients and key ids (never secrets)', tag: 'Registry', scope: 'admin', ok: '200', errors: [404] },
    put: { summary: "Replace a participant's editable fields (id and kind never change)", tag: 'Registry', scope: 'admin', body: 'json', ok: '200', errors: [404, 422] },
  },
  '/admin/participants/{id}/$suspend': { post: { summary: 'Suspend: no token, no call, no claim addressed to it', tag: 'Registry', scope: 'admin', ok: '200', errors: [404] } },
  '/admin/participants/{id}/$reactivate': { post: { summary: 'Reactivate', tag: 'Registry', scope: 'admin', ok: '200', errors: [404] } },
  '/admin/participants/{id}/clients': { post: { summary: 'Register an OAuth client: public keys (jwks or jwksUrl), or a secret where enabled', tag: 'Registry', scope: 'admin', body: 'json', ok: '201', errors: [404, 409, 422] } },
  '/admin/participants/{id}/clients/{clientId}': { delete: { summary: 'Disable a client', tag: 'Registry', scope: 'admin', ok: '200', errors: [404] } },
};

const statusText: Record<number, string> = {
  400: 'Unreadable request', 401: 'Not authenticated', 403: 'Scope missing', 404: 'Not found (or not yours)', 409: 'Conflict', 410: 'Purged after the retention period',
  413: 'Body too large', 415: 'Content type not accepted', 422: 'Not acceptable: every issue with its FHIRPath', 429: 'Rate limited (Retry-After)', 503: 'Not ready, or the insurer unavailable (Retry-After)',
};

function operation(path: string, method: string, op: Operation) {
  const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  const query = (op.query ?? []).map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } }));
  const idempotent = method === 'post' && (path.startsWith('/fhir') || path.startsWith('/admin'));
  const headers = idempotent ? [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 } }] : [];
  const bodyType = op.body === 'form' ? 'application/x-www-form-urlencoded' : op.body === 'fhir' ? FHIR : 'application/json';
  return {
    summary: op.summary, tags: [op.tag], operationId: `${method}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    ...(op.auth === 'none' ? { security: [] } : { security: [{ bearer: [op.scope ?? ''] }] }),
    parameters: [...params, ...query, ...headers],
    ...(op.body ? { requestBody: { required: true, content: { [bodyType]: { schema: { type: 'object' } } } } } : {}),
    responses: {
      [op.ok]: { description: 'Success', content: { [path.startsWith('/fhir') ? FHIR : 'application/json']: { schema: { type: 'object' } } } },
      ...Object.fromEntries((op.errors ?? []).map((s) => [String(s), { description: statusText[s] ?? 'Error', content: { [FHIR]: { schema: { $ref: '#/components/schemas/OperationOutcome' } } } }])),
    },
  };
}

/** Every described route (the CapabilityStatement is derived from the FHIR ones). */
export function describedRoutes(): Array<{ readonly path: string; readonly method: string; readonly operation: Operation }> {
  return Object.entries(ops).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ path, method, operation })));
}

/** The OpenAPI document. */
export function openApiDocument(serverUrl = '/') {
  return {
    openapi: '3.0.3',
    info: {
      title: 'Passerelle', version: '0.1.0',
      description: 'FHIR R4 claims gateway between care providers and insurers. Errors are FHIR OperationOutcomes with a stable gateway error code (docs/errors.md).',
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'From POST /auth/token (SMART Backend Services)' } },
      schemas: { OperationOutcome: { type: 'object', required: ['resourceType', 'issue'], properties: { resourceType: { type: 'string', enum: ['OperationOutcome'] }, issue: { type: 'array', items: { type: 'object' } } } } },
    },
    paths: Object.fromEntries(Object.entries(ops).map(([path, methods]) => [path, Object.fromEntries(Object.entries(methods).map(([m, op]) => [m, operation(path, m, op)]))])),
  };
}
