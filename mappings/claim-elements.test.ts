import type { Claim } from '@medplum/fhirtypes';
import { acceptsPath, isClaimElementPath, unsupportedElements } from './claim-elements.js';

const CLAIM = {
  resourceType: 'Claim', id: 'c1', meta: { profile: ['x'] }, text: { status: 'generated', div: '<div/>' }, language: 'fr',
  status: 'active', type: { coding: [{ code: 'professional' }] }, use: 'claim', patient: { reference: 'Patient/p' }, created: '2026-03-14',
  provider: { reference: 'Organization/o' }, priority: { coding: [{ code: 'normal' }] }, insurance: [{ sequence: 1, focal: true, coverage: { reference: 'Coverage/c' } }],
  item: [
    { sequence: 1, productOrService: { coding: [{ code: 'CONS01' }] }, servicedDate: '2026-03-14', net: { value: 1 } },
    { sequence: 2, productOrService: { coding: [{ code: 'LAB01' }] }, modifier: [{ coding: [{ code: 'a' }, { code: 'b' }] }], net: { value: 2 } },
  ],
} as unknown as Claim;

const ACCEPTS = ['Claim.status', 'Claim.type', 'Claim.use', 'Claim.patient', 'Claim.created', 'Claim.provider', 'Claim.priority', 'Claim.insurance',
  'Claim.item.sequence', 'Claim.item.productOrService', 'Claim.item.servicedDate', 'Claim.item.net'];

describe('unsupportedElements', () => {
  it('reports nothing when every populated element is accepted (id, meta, text, language always are)', () => {
    expect(unsupportedElements({ ...CLAIM, item: [CLAIM.item![0]!] }, ACCEPTS, 'IPM Démo')).toEqual([]);
  });

  it('reports the highest unaccepted element, with its indexes, once', () => {
    const claim = { ...CLAIM, careTeam: [{ sequence: 1, provider: { reference: 'Practitioner/x' } }, { sequence: 2, provider: { reference: 'Practitioner/y' } }] } as Claim;
    expect(unsupportedElements(claim, ACCEPTS, 'IPM Démo')).toEqual([
      { code: 'mapping-unsupported-element', expression: 'Claim.item[1].modifier', message: { en: 'IPM Démo does not take Claim.item.modifier: send the claim without it or ask the insurer', fr: expect.any(String) } },
      { code: 'mapping-unsupported-element', expression: 'Claim.careTeam', message: {
        en: 'IPM Démo does not take Claim.careTeam: send the claim without it or ask the insurer',
        fr: "IPM Démo ne prend pas Claim.careTeam : envoyez la demande sans cet élément ou renseignez-vous auprès de l'assureur",
      } },
    ]);
  });

  it('counts a primitive extension as its element', () => {
    const claim = { ...CLAIM, item: [CLAIM.item![0]!], _created: { extension: [{ url: 'u', valueString: 'v' }] }, _billablePeriod: undefined } as unknown as Claim;
    expect(unsupportedElements(claim, ACCEPTS, 'X')).toEqual([]);
    const noCreated = ACCEPTS.filter((p) => p !== 'Claim.created');
    const issues = unsupportedElements(claim, noCreated, 'X');
    expect(issues.map((i) => i.expression)).toEqual(['Claim.created']);
  });

  it('ignores empty values and takes an accepted ancestor for all below it', () => {
    const claim = { ...CLAIM, item: [CLAIM.item![0]!], careTeam: [], supportingInfo: [{}], subType: null } as unknown as Claim;
    expect(unsupportedElements(claim, ACCEPTS, 'X')).toEqual([]);
    expect(unsupportedElements(CLAIM, [...ACCEPTS, 'Claim.item'], 'X')).toEqual([]);
  });

  it('accepts a choice element by its choice name or its typed name', () => {
    const claim = { ...CLAIM, item: [{ sequence: 1, servicedPeriod: { start: '2026-03-14' } }] } as unknown as Claim;
    expect(unsupportedElements(claim, ['Claim.item.sequence', 'Claim.item.serviced', ...ACCEPTS], 'X').map((i) => i.expression)).toEqual([]);
    expect(unsupportedElements(claim, ACCEPTS, 'X').map((i) => i.expression)).toEqual(['Claim.item[0].servicedPeriod']);
  });

  it('reports modifier and other extensions of an item whose other children are accepted', () => {
    const claim = { ...CLAIM, item: [{ ...CLAIM.item![0]!, extension: [{ url: 'u', valueString: 'v' }] }] } as Claim;
    expect(unsupportedElements(claim, ACCEPTS, 'X').map((i) => i.expression)).toEqual(['Claim.item[0].extension']);
  });
});

describe('acceptsPath', () => {
  it('is true for a listed path, its descendants and the always accepted elements', () => {
    expect(acceptsPath('Claim.item.net', ACCEPTS)).toBe(true);
    expect(acceptsPath('Claim.item.net.value', ACCEPTS)).toBe(true);
    expect(acceptsPath('Claim.meta.profile', ACCEPTS)).toBe(true);
    expect(acceptsPath('Claim.item', ACCEPTS)).toBe(false);
    expect(acceptsPath('Claim.item.modifier', ACCEPTS)).toBe(false);
  });
});

describe('isClaimElementPath', () => {
  it('knows Claim elements, data type elements and choice elements', () => {
    for (const path of ['Claim.item.productOrService', 'Claim.total.value', 'Claim.item.serviced', 'Claim.item.servicedDate', 'Claim.created.extension',
      'Claim.item.detail.subDetail.net', 'Claim.resourceType', 'Claim.diagnosis.diagnosisCodeableConcept.coding.code']) {
      expect([path, isClaimElementPath(path)]).toEqual([path, true]);
    }
  });

  it('refuses typos and other resources', () => {
    for (const path of ['Claim.item.productorService', 'Claim.totals', 'Patient.identifier', 'Claim', 'Claim.total.amount']) {
      expect([path, isClaimElementPath(path)]).toEqual([path, false]);
    }
  });
});
