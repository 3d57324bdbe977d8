/**
 * The claim bundles the ingest benchmark posts, and the request bodies made from them: every request
 * carries its own Claim.identifier value (so none is answered as a duplicate) and is otherwise the same
 * bytes. A body is a template split at the identifier's value, so making one is two concatenations.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bundle, Claim, Coverage } from '@medplum/fhirtypes';
import { largeClaim } from '../validation/payloads.js';

/** One payload: a valid claim bundle and the demo client that may submit it (its Claim.provider). */
export interface IngestPayload {
  readonly name: string;
  readonly description: string;
  readonly bundle: Bundle;
  readonly clientId: string;
}

/** Items of the large claim, as in the validation benchmark. */
export const LARGE_CLAIM_ITEMS = 100;

/**
 * The small demo claim, the large claim built from it, and the Synthea-like bundle, all addressed to
 * demo-insurer. Their service dates fall in the sandbox's coverage period (the current year), so the
 * live eligibility check finds the member covered, as it does for most real claims.
 */
export async function ingestPayloads(root: string, today = new Date()): Promise<IngestPayload[]> {
  const date = today.toISOString().slice(0, 10);
  const demo = JSON.parse((await readFile(join(root, 'test/fixtures/claim-bundle-covered-member.json'), 'utf8')).replaceAll('TODAY', date)) as Bundle;
  const synthea = JSON.parse(shiftYear(await readFile(join(root, 'bench/fixtures/claim-bundle-synthea-like.json'), 'utf8'), SYNTHEA_YEAR, syntheaYear(today))) as Bundle;
  return [
    { name: 'small claim', description: 'test/fixtures/claim-bundle-covered-member.json: Claim (2 items), Patient, Coverage', bundle: demo, clientId: 'demo-clinic' },
    { name: 'large claim', description: `the small claim with ${LARGE_CLAIM_ITEMS} items, total consistent (bench/validation/payloads.ts largeClaim)`, bundle: servicedOn(largeClaim(demo, LARGE_CLAIM_ITEMS), date), clientId: 'demo-clinic' },
    {
      name: 'Synthea-like', bundle: synthea, clientId: 'demo-hospital',
      description: 'bench/fixtures/claim-bundle-synthea-like.json: Patient (extensions, names, addresses, telecom), Coverage, Organization (demo-hospital), 2 Practitioners, Claim with diagnoses, procedures, care team, supporting info, 20 items',
    },
  ];
}

/** The year of the Synthea-like bundle's dates (its stay is 12–14 May, its coverage the whole year). */
const SYNTHEA_YEAR = 2025;

/** The latest year whose 14 May is not after today: the stay stays in the past. */
export function syntheaYear(today: Date): number {
  const year = today.getUTCFullYear();
  return today.getTime() >= Date.UTC(year, 4, 15) ? year : year - 1;
}

/** Every date string of that year ("YYYY-...") moved to another year; other years (birth dates) are kept. */
export function shiftYear(json: string, from: number, to: number): string {
  return json.replaceAll(`"${from}-`, `"${to}-`);
}

/** The bundle with every item of its Claim served on that date (largeClaim dates its items to the validation benchmark's day). */
function servicedOn(bundle: Bundle, date: string): Bundle {
  for (const item of (bundle.entry?.[0]?.resource as Claim | undefined)?.item ?? []) item.servicedDate = date;
  return bundle;
}

const PARTICIPANT_SYSTEM = 'urn:passerelle:participant';

/** A copy of the bundle addressed to another insurer: Claim.insurer and every Coverage's payor name it. */
export function addressedTo(bundle: Bundle, insurerId: string): Bundle {
  const copy = structuredClone(bundle);
  for (const entry of copy.entry ?? []) {
    const resource = entry.resource;
    if (resource?.resourceType === 'Claim') (resource as Claim).insurer = { identifier: { system: PARTICIPANT_SYSTEM, value: insurerId } };
    if (resource?.resourceType === 'Coverage') (resource as Coverage).payor = [{ identifier: { system: PARTICIPANT_SYSTEM, value: insurerId } }];
  }
  return copy;
}

/** A request body split around the value of Claim.identifier[0]. */
export interface BodyTemplate {
  readonly before: string;
  readonly after: string;
}

const MARKER = '\u0000claim-identifier\u0000';

/** The compact JSON of the bundle, split where its Claim.identifier[0].value goes. */
export function bodyTemplate(bundle: Bundle): BodyTemplate {
  const copy = structuredClone(bundle);
  const claim = copy.entry?.[0]?.resource;
  if (claim?.resourceType !== 'Claim' || !claim.identifier?.[0]) throw new Error('The bundle does not start with a Claim that has an identifier');
  claim.identifier[0] = { ...claim.identifier[0], value: MARKER };
  const parts = JSON.stringify(copy).split(JSON.stringify(MARKER).slice(1, -1));
  if (parts.length !== 2) throw new Error('The identifier marker must appear exactly once');
  return { before: parts[0]!, after: parts[1]! };
}

/** The body whose Claim.identifier[0].value is `identifier` (a JSON-safe string: letters, digits, -). */
export function bodyFor(template: BodyTemplate, identifier: string): string {
  if (!/^[A-Za-z0-9-]+$/.test(identifier)) throw new Error(`Not a plain identifier: ${identifier}`);
  return template.before + identifier + template.after;
}
