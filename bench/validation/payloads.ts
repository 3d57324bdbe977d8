/**
 * The claim bundles the validation benchmark measures: the demo claim, the demo generator's bundles, a
 * large claim, a Synthea-like bundle, and invalid variants of the demo claim, each with one defect.
 * Deterministic: fixed dates and seeds, so runs compare.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bundle, Claim, ClaimItem } from '@medplum/fhirtypes';
import { DEMO_TARIFF, TARIFF_SYSTEM, buildClaimBundle, buildScenarios, type ServiceCode } from '../../gateway/demo/demo-claims.js';

/** One payload: a bundle, or several the timing loop cycles through (costs are per bundle). */
export interface Payload {
  readonly name: string;
  readonly description: string;
  readonly bundles: readonly Bundle[];
  /** The defect an invalid variant carries; undefined for payloads meant to be valid. */
  readonly defect?: Defect;
}

/** One defect, and the error that reports it (family of rule and location, as in agreement.ts). */
export interface Defect {
  readonly text: string;
  readonly family: string;
  readonly path: string;
}

/** The date the demo fixture's "TODAY" placeholders become, and the generator's clock. */
export const PAYLOAD_DATE = '2025-06-02';
const NOW = new Date(`${PAYLOAD_DATE}T09:30:00Z`);

export async function validationPayloads(root: string): Promise<Payload[]> {
  const demo = JSON.parse((await readFile(join(root, 'test/fixtures/claim-bundle-covered-member.json'), 'utf8')).replaceAll('TODAY', PAYLOAD_DATE)) as Bundle;
  const synthea = JSON.parse(await readFile(join(root, 'bench/fixtures/claim-bundle-synthea-like.json'), 'utf8')) as Bundle;
  const generated = buildScenarios({ count: 8, seed: 20250602, runId: 'BENCH' }).map((s) => buildClaimBundle(s, NOW));
  return [
    { name: 'demo claim', description: 'test/fixtures/claim-bundle-covered-member.json: Claim (2 items), Patient, Coverage', bundles: [demo] },
    { name: 'demo generator', description: `${generated.length} bundles of gateway/demo/demo-claims.ts buildClaimBundle (1–3 items each), cycled`, bundles: generated },
    { name: 'large claim', description: 'the demo claim with 100 items, total consistent', bundles: [largeClaim(demo, 100)] },
    { name: 'Synthea-like', description: 'bench/fixtures/claim-bundle-synthea-like.json: Patient (extensions, names, addresses, telecom), Coverage, Organization, 2 Practitioners, Claim with diagnoses, procedures, care team, supporting info, 20 items', bundles: [synthea] },
    ...invalidVariants(demo),
  ];
}

/** The demo claim with `count` items cycling through the demo tariff, nets and total consistent. */
export function largeClaim(demo: Bundle, count: number): Bundle {
  const bundle = structuredClone(demo);
  const claim = claimOf(bundle);
  const codes = Object.keys(DEMO_TARIFF) as ServiceCode[];
  const items: ClaimItem[] = Array.from({ length: count }, (_, i) => {
    const code = codes[i % codes.length]!;
    const { display, price } = DEMO_TARIFF[code];
    const quantity = 1 + (i % 3);
    return {
      sequence: i + 1,
      productOrService: { coding: [{ system: TARIFF_SYSTEM, code, display }] },
      servicedDate: PAYLOAD_DATE,
      quantity: { value: quantity },
      unitPrice: { value: price, currency: 'XOF' },
      net: { value: price * quantity, currency: 'XOF' },
    };
  });
  claim.item = items;
  claim.total = { value: items.reduce((sum, it) => sum + (it.net?.value ?? 0), 0), currency: 'XOF' };
  return bundle;
}

/** The demo claim with one defect each. */
export function invalidVariants(demo: Bundle): Payload[] {
  const claimAt = 'Bundle.entry[0].resource';
  const variant = (name: string, defect: Defect, change: (claim: Claim, bundle: Bundle) => void): Payload => {
    const bundle = structuredClone(demo);
    change(claimOf(bundle), bundle);
    return { name, description: `the demo claim with ${defect.text}`, defect, bundles: [bundle] };
  };
  const anyOf = (value: object) => value as unknown as Record<string, unknown>;
  return [
    variant('invalid: status code', { text: 'Claim.status "bogus" (required binding)', family: 'code', path: `${claimAt}.status` }, (claim) => {
      anyOf(claim).status = 'bogus';
    }),
    variant('invalid: unknown element', { text: 'an unknown element Claim.item[0].unitCost', family: 'unknown element', path: `${claimAt}.item[0].unitCost` }, (claim) => {
      anyOf(claim.item![0]!).unitCost = { value: 15000, currency: 'XOF' };
    }),
    variant('invalid: dateTime without zone', { text: `Claim.created "${PAYLOAD_DATE}T09:30:00" (a time without a time zone)`, family: 'value', path: `${claimAt}.created` }, (claim) => {
      claim.created = `${PAYLOAD_DATE}T09:30:00`;
    }),
    variant('invalid: total ≠ items', { text: 'Claim.total 24000 while the items sum to 23000', family: 'invariant pas-claim-total', path: `${claimAt}.total` }, (claim) => {
      claim.total = { value: 24000, currency: 'XOF' };
    }),
    variant('invalid: missing core element', { text: 'no Claim.priority (1..1 in R4)', family: 'cardinality', path: `${claimAt}.priority` }, (claim) => {
      delete anyOf(claim).priority;
    }),
    variant('invalid: missing profile element', { text: 'no Claim.item[1].net (1..1 in the passerelle-base Claim profile)', family: 'cardinality', path: `${claimAt}.item[1].net` }, (claim) => {
      delete claim.item![1]!.net;
    }),
    variant('invalid: JSON type', { text: 'Claim.item[0].unitPrice.value "15000" (a string for a decimal)', family: 'value', path: `${claimAt}.item[0].unitPrice.value` }, (claim) => {
      anyOf(claim.item![0]!.unitPrice!).value = '15000';
    }),
    variant('invalid: empty string', { text: 'Patient.name[0].family "" (empty)', family: 'empty value', path: 'Bundle.entry[1].resource.name[0].family' }, (_, bundle) => {
      anyOf(bundle.entry![1]!.resource!).name = [{ family: '', given: ['Awa'] }];
    }),
    variant('invalid: object for a list', { text: 'Claim.identifier as an object, not a list', family: 'array shape', path: `${claimAt}.identifier` }, (claim) => {
      anyOf(claim).identifier = claim.identifier![0];
    }),
  ];
}

function claimOf(bundle: Bundle): Claim {
  const claim = bundle.entry?.[0]?.resource;
  if (claim?.resourceType !== 'Claim') throw new Error('The demo bundle does not start with a Claim');
  return claim;
}
