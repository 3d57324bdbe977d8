import { readFileSync, writeFileSync } from 'node:fs';
import type { Bundle, Claim } from '@medplum/fhirtypes';
import { toOpenImisClaim } from './claim-out.js';
import { openImisSettings } from './settings.js';

const fixture = (): Bundle => JSON.parse(readFileSync(new URL('../../test/fixtures/profiles/openimis-claim-bundle.json', import.meta.url), 'utf8'));
const golden = new URL('./golden/claim.openimis.json', import.meta.url);
const settings = openImisSettings({ baseUrl: 'http://imis.test/api/api_fhir_r4', usernameEnv: 'U', passwordEnv: 'P', memberSystem: 'urn:passerelle:demo-openimis:chfid' });
const claimOf = (bundle: Bundle) => bundle.entry![0]!.resource as Claim;

describe('a gateway claim in openIMIS dialect', () => {
  it('matches the golden openIMIS claim: codes for every party, items and services through claim-item-reference', () => {
    const mapped = toOpenImisClaim(fixture(), settings);
    expect(mapped.issues).toEqual([]);
    if (process.env.UPDATE_GOLDEN) writeFileSync(golden, `${JSON.stringify(mapped.claim, null, 2)}\n`);
    expect(mapped.claim).toEqual(JSON.parse(readFileSync(golden, 'utf8')));
    expect(mapped.code).toBe('KM000123');
    expect(mapped.claim!.item!.map((i) => i.category?.text)).toEqual(['service', 'item']);
  });

  it('reports every element openIMIS cannot take, by FHIRPath, instead of dropping it', () => {
    const bundle = fixture();
    const claim = claimOf(bundle);
    claim.careTeam = [{ sequence: 1, provider: { reference: 'Practitioner/x' } }];
    claim.item![1]!.modifier = [{ coding: [{ system: 'urn:x', code: 'night' }] }];
    claim.supportingInfo = [{ sequence: 1, category: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claiminformationcategory', code: 'onset' }] } }];
    const { claim: out, issues } = toOpenImisClaim(bundle, settings);
    expect(out).toBeUndefined();
    expect(issues.map((i) => [i.code, i.expression])).toEqual(expect.arrayContaining([
      ['mapping-unsupported-element', 'Claim.careTeam'],
      ['mapping-unsupported-element', 'Claim.item[1].modifier'],
      ['mapping-unsupported-element', 'Claim.supportingInfo[0]'],
    ]));
  });

  it('asks for what openIMIS needs: a claim code of at most 8 characters, the CHF ID, the facility', () => {
    const bundle = fixture();
    const claim = claimOf(bundle);
    claim.identifier![0]!.value = 'KM0001234567';
    delete claim.facility;
    delete claim.patient.identifier;
    bundle.entry![1]!.resource = { ...bundle.entry![1]!.resource!, identifier: [] } as never;
    const issues = toOpenImisClaim(bundle, settings).issues;
    expect(issues.map((i) => [i.code, i.expression])).toEqual([
      ['mapping-value-invalid', 'Claim.identifier'],
      ['mapping-required-missing', 'Claim.patient'],
      ['mapping-required-missing', 'Claim.facility'],
    ]);
    expect(JSON.stringify(issues[0]!.message)).not.toContain('KM0001234567');
  });

  it('takes the facility code from the settings when the claim names none', () => {
    const bundle = fixture();
    delete claimOf(bundle).facility;
    const withCodes = openImisSettings({ ...settings, healthFacilityCodes: { 'demo-clinic': 'HF042' } });
    expect(toOpenImisClaim(bundle, withCodes).claim!.provider!.identifier!.value).toBe('HF042');
  });
});
