// GET /{insurerId}/fhir/Coverage: the registry as a FHIR searchset, for the gateway's live mode (find a
// member's coverage) and its synced mode (page through what changed since a `_lastUpdated` instant).
// Parameters are read strictly: one the sandbox does not know is refused rather than silently ignored,
// so a test never passes on a filter that was not applied.
import type { Bundle, BundleEntry, BundleLink, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { coverageResource, patientResource } from './coverage-resources.js';
import { compareKeys, keyOf, membersByChange, type ChangeKey } from './member-listing.js';
import type { RegistryMember } from './members.js';
import { errorIssue } from './outcomes.js';
import type { InsurerRegistry } from './registry.js';
import type { InsurerSeed } from './seed.js';

/** Query parameter carrying the opaque position of the next page. */
export const CURSOR_PARAMETER = '_cursor';
export const DEFAULT_COUNT = 100;
export const MAX_COUNT = 1000;

/** A token search value: system undefined = any system, value undefined = any value (`system|`). */
interface TokenValue {
  readonly system?: string;
  readonly value?: string;
}

/** A `_lastUpdated=gt|ge<instant>` filter. */
interface SinceFilter {
  readonly time: number;
  readonly inclusive: boolean;
}

/** A Coverage search whose parameters were read successfully. */
export interface CoverageQuery {
  /** `identifier` and `beneficiary:identifier` values; a member must match all of them. */
  readonly identifiers: readonly TokenValue[];
  readonly since?: SinceFilter;
  readonly count: number;
  readonly includePatients: boolean;
  /** Position after which this page starts (from the cursor parameter). */
  readonly after?: ChangeKey;
}

type Draft = { -readonly [K in keyof CoverageQuery]: CoverageQuery[K] };
type Reader = (value: string, draft: Draft) => OperationOutcomeIssue | undefined;

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

function readToken(value: string, draft: Draft, name: string): OperationOutcomeIssue | undefined {
  const bar = value.indexOf('|');
  const token: TokenValue = bar < 0 ? { value } : { system: value.slice(0, bar), ...(bar < value.length - 1 ? { value: value.slice(bar + 1) } : {}) };
  if (token.value === undefined && !token.system) {
    return errorIssue('invalid', `${name} needs a member number: ${name}=<system>|<value>, or <value>.`);
  }
  draft.identifiers = [...draft.identifiers, token];
  return undefined;
}

function readLastUpdated(value: string, draft: Draft): OperationOutcomeIssue | undefined {
  const prefix = /^[a-z]{2}/.test(value) ? value.slice(0, 2) : '';
  if (prefix !== 'gt' && prefix !== 'ge') {
    return errorIssue('not-supported', '_lastUpdated supports the prefixes gt and ge only, e.g. _lastUpdated=gt2026-01-01T00:00:00.000Z.');
  }
  // An unencoded "+" in a query string arrives as a space; put the time zone sign back.
  const instant = value.slice(2).replace(' ', '+');
  const time = Date.parse(instant);
  if (!INSTANT.test(instant) || Number.isNaN(time)) {
    return errorIssue('invalid', `_lastUpdated needs an instant with seconds and a time zone, not ${JSON.stringify(instant)}.`);
  }
  draft.since = { time, inclusive: prefix === 'ge' };
  return undefined;
}

function readCount(value: string, draft: Draft): OperationOutcomeIssue | undefined {
  const count = /^\d{1,9}$/.test(value) ? Number(value) : 0;
  if (count < 1) {
    return errorIssue('invalid', `_count must be a whole number from 1 (at most ${MAX_COUNT} are returned per page).`);
  }
  draft.count = Math.min(count, MAX_COUNT);
  return undefined;
}

function readInclude(value: string, draft: Draft): OperationOutcomeIssue | undefined {
  if (value !== 'Coverage:beneficiary' && value !== 'Coverage:beneficiary:Patient') {
    return errorIssue('not-supported', `Only _include=Coverage:beneficiary is supported, not ${JSON.stringify(value)}.`);
  }
  draft.includePatients = true;
  return undefined;
}

/** Encodes a page position; opaque to clients. */
export function encodeCursor(key: ChangeKey): string {
  return Buffer.from(JSON.stringify([key.time, key.member])).toString('base64url');
}

/** Decodes a page position, or undefined when it is not one the sandbox made. */
export function decodeCursor(cursor: string): ChangeKey | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && Number.isSafeInteger(parsed[0]) && typeof parsed[1] === 'string') {
      return { time: parsed[0] as number, member: parsed[1] };
    }
  } catch {
    // Not base64url JSON: answered as an invalid cursor below.
  }
  return undefined;
}

function readCursor(value: string, draft: Draft): OperationOutcomeIssue | undefined {
  const after = decodeCursor(value);
  if (!after) {
    return errorIssue('invalid', `${CURSOR_PARAMETER} is not a page cursor given by this server; follow the "next" link as it is.`);
  }
  draft.after = after;
  return undefined;
}

const READERS: Record<string, Reader> = {
  identifier: (v, d) => readToken(v, d, 'identifier'),
  'beneficiary:identifier': (v, d) => readToken(v, d, 'beneficiary:identifier'),
  _lastUpdated: readLastUpdated,
  _count: readCount,
  _include: readInclude,
  [CURSOR_PARAMETER]: readCursor,
};

/**
 * Reads the query of a Coverage search (Express's parsed query: strings, or arrays when repeated).
 * @returns the query, or one issue per unknown, repeated or invalid parameter.
 */
export function parseCoverageQuery(query: Record<string, unknown>): CoverageQuery | { issues: OperationOutcomeIssue[] } {
  const draft: Draft = { identifiers: [], count: DEFAULT_COUNT, includePatients: false };
  const issues: OperationOutcomeIssue[] = [];
  for (const [name, value] of Object.entries(query)) {
    const reader = Object.hasOwn(READERS, name) ? READERS[name] : undefined;
    if (!reader) {
      issues.push(errorIssue('not-supported', `Unknown search parameter ${JSON.stringify(name)} for Coverage.`));
    } else if (typeof value !== 'string') {
      issues.push(errorIssue('invalid', `Search parameter ${JSON.stringify(name)} may be given once.`));
    } else {
      const issue = reader(value, draft);
      if (issue) issues.push(issue);
    }
  }
  return issues.length > 0 ? { issues } : draft;
}

/** Which members the identifier parameters allow: none, one member number, or any. */
type Target = { readonly value?: string } | 'none';


function target(query: CoverageQuery, insurer: InsurerSeed): Target {
  if (query.identifiers.some((t) => t.system !== undefined && t.system !== insurer.memberSystem)) {
    return 'none';
  }
  const values = new Set(query.identifiers.flatMap((t) => (t.value === undefined ? [] : [t.value])));
  if (values.size > 1) {
    return 'none';
  }
  const [value] = values;
  return value === undefined ? {} : { value };
}

function passes(since: SinceFilter | undefined, time: number): boolean {
  return !since || (since.inclusive ? time >= since.time : time > since.time);
}

/** Members the search may answer, in search order, before the `_lastUpdated` filter. */
function* candidates(registry: InsurerRegistry, insurer: InsurerSeed, query: CoverageQuery, wanted: Target): Generator<RegistryMember> {
  if (wanted === 'none') return;
  if (wanted.value === undefined) {
    yield* membersByChange(registry, insurer, query.after, passes(query.since, registry.startedAt.getTime()));
    return;
  }
  const member = registry.findMember(insurer, wanted.value);
  if (member && (!query.after || compareKeys(keyOf(member), query.after) > 0)) yield member;
}

/** The first `limit` members the search answers, after the `_lastUpdated` filter. */
function matching(registry: InsurerRegistry, insurer: InsurerSeed, query: CoverageQuery, wanted: Target, limit: number): RegistryMember[] {
  const found: RegistryMember[] = [];
  for (const member of candidates(registry, insurer, query, wanted)) {
    if (found.length >= limit) break;
    if (passes(query.since, keyOf(member).time)) found.push(member);
  }
  return found;
}

function entries(insurer: InsurerSeed, member: RegistryMember, fhirBase: string, includePatients: boolean): BundleEntry[] {
  const coverage = coverageResource(insurer, member);
  const match: BundleEntry = { fullUrl: `${fhirBase}/Coverage/${coverage.id}`, resource: coverage, search: { mode: 'match' } };
  if (!includePatients) return [match];
  const patient = patientResource(insurer, member);
  return [match, { fullUrl: `${fhirBase}/Patient/${patient.id}`, resource: patient, search: { mode: 'include' } }];
}

/**
 * Runs a Coverage search: one page of members sorted by lastUpdated then id, with absolute `self` and
 * `next` links built from `selfUrl` (the request's own absolute URL). `total` is given for searches by
 * member number only: counting a whole registry would mean walking it.
 */
export function searchCoverage(registry: InsurerRegistry, insurer: InsurerSeed, query: CoverageQuery, selfUrl: string): Bundle {
  const wanted = target(query, insurer);
  // One more than the page tells whether a next page exists.
  const page = matching(registry, insurer, query, wanted, query.count + 1);
  const more = page.length > query.count;
  if (more) page.pop();
  const url = new URL(selfUrl);
  const fhirBase = `${url.origin}${url.pathname.replace(/\/Coverage\/?$/, '')}`;
  const link: BundleLink[] = [{ relation: 'self', url: selfUrl }];
  const last = page.at(-1);
  if (more && last) {
    url.searchParams.set(CURSOR_PARAMETER, encodeCursor(keyOf(last)));
    link.push({ relation: 'next', url: url.toString() });
  }
  // A search by member number matches one member at most, so its total is cheap and exact.
  const single = wanted === 'none' || wanted.value !== undefined;
  const total = single ? matching(registry, insurer, { ...query, after: undefined }, wanted, 2).length : undefined;
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(total === undefined ? {} : { total }),
    link,
    entry: page.flatMap((m) => entries(insurer, m, fhirBase, query.includePatients)),
  };
}
