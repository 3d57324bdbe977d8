/**
 * Field rules on a small spec of their own: types, code tables, joins, patterns, constants and
 * conditional requirements, each giving its own coded issue.
 */
import type { Bundle } from '@medplum/fhirtypes';
import { convert } from './field-values.js';
import { parseMappingSpec } from './load-spec.js';
import { mapClaim } from './map-claim.js';

const BASE = {
  id: 'field-rules', version: '1', insurerName: 'Mutuelle Test', format: 'json',
  claim: { accepts: ['Claim.status', 'Claim.use', 'Claim.type', 'Claim.patient', 'Claim.item', 'Claim.supportingInfo', 'Claim.created', 'Claim.provider', 'Claim.priority', 'Claim.insurance'] },
  reply: { claimId: 'ref', outcome: { path: 'status', codes: { OK: 'complete' } }, currency: 'XOF' },
  transport: { kind: 'http-json', submit: { method: 'POST', path: '/claims' } },
};

function specWith(fields: unknown[]) {
  return parseMappingSpec({ ...BASE, claim: { ...BASE.claim, fields } }, 'field-rules.json');
}

const BUNDLE: Bundle = {
  resourceType: 'Bundle', type: 'collection',
  entry: [
    { fullUrl: 'urn:uuid:c', resource: {
      resourceType: 'Claim', status: 'active', use: 'claim', type: { coding: [{ code: 'professional' }] }, patient: { reference: 'urn:uuid:p' },
      created: '2026-03-14T09:30:00+00:00', provider: { reference: 'Organization/o' }, priority: { coding: [{ code: 'normal' }] }, insurance: [],
      item: [{ sequence: 1, productOrService: { coding: [{ code: 'A' }, { code: 'B' }] } }],
    } },
    { fullUrl: 'urn:uuid:p', resource: { resourceType: 'Patient', gender: 'female', birthDate: '1985-04' } },
  ],
};
const CONTEXT = { claimId: 'c1', providerId: 'p1', insurerId: 'i1', settings: {} };

describe('field rules', () => {
  it('converts to the field types: a dateTime gives its date, numbers and booleans stay typed', () => {
    const spec = specWith([
      { name: 'date', path: 'created', type: 'date' },
      { name: 'count', path: 'item.count()', type: 'integer' },
      { name: 'count_text', path: 'item.count()', type: 'string' },
      { name: 'flag', value: 'true', type: 'boolean' },
      { name: 'constant', value: 2.5, type: 'decimal' },
    ]);
    expect(mapClaim(spec, BUNDLE, CONTEXT)).toEqual({ record: { date: '2026-03-14', count: 1, count_text: '1', flag: true, constant: 2.5 }, issues: [] });
  });

  it('translates through a code table and reports a code without an entry', () => {
    const spec = specWith([{ name: 'sex', path: '%patient.gender', codes: { female: 'F', male: 'M' } }]);
    expect(mapClaim(spec, BUNDLE, CONTEXT).record).toEqual({ sex: 'F' });
    const other = specWith([{ name: 'sex', path: '%patient.gender', codes: { male: 'M', constructor: 'C' }, element: 'Patient.gender' }]);
    expect(mapClaim(other, BUNDLE, CONTEXT)).toEqual({
      record: {},
      issues: [{ code: 'mapping-code-unmapped', expression: 'Patient.gender', message: { en: "Mutuelle Test has no equivalent for the code given for sex: it is not in the mapping's code table", fr: expect.any(String) } }],
    });
  });

  it('joins several values when asked, and reports them otherwise', () => {
    const joined = specWith([{ name: 'codes', path: 'item.productOrService.coding.code', join: '+' }]);
    expect(mapClaim(joined, BUNDLE, CONTEXT).record).toEqual({ codes: 'A+B' });
    const single = specWith([{ name: 'codes', path: '%claim.item.productOrService.coding.code' }]);
    expect(mapClaim(single, BUNDLE, CONTEXT).issues).toEqual([
      { code: 'mapping-value-invalid', expression: 'Claim.item.productOrService.coding.code', message: { en: 'codes has 2 values in the claim and Mutuelle Test takes one', fr: expect.any(String) } },
    ]);
  });

  it('checks patterns and types without quoting the value', () => {
    const spec = specWith([
      { name: 'born', path: '%patient.birthDate', type: 'date', element: 'Patient.birthDate' },
      { name: 'status', path: 'status', pattern: '[A-Z]+' },
    ]);
    expect(mapClaim(spec, BUNDLE, CONTEXT).issues).toEqual([
      { code: 'mapping-value-invalid', expression: 'Patient.birthDate', message: { en: 'born is not a full date (YYYY-MM-DD) as Mutuelle Test takes it', fr: expect.any(String) } },
      { code: 'mapping-value-invalid', expression: 'status', message: { en: 'status does not have the form Mutuelle Test takes ([A-Z]+)', fr: expect.any(String) } },
    ]);
  });

  it('requires a field when its requiredWhen condition holds', () => {
    const spec = specWith([{ name: 'info', path: 'supportingInfo.code.text', requiredWhen: 'supportingInfo.exists()' }]);
    expect(mapClaim(spec, BUNDLE, CONTEXT).issues).toEqual([]);
    const withInfo = structuredClone(BUNDLE);
    (withInfo.entry![0]!.resource as { supportingInfo?: unknown }).supportingInfo = [{ sequence: 1, category: { text: 'x' } }];
    expect(mapClaim(spec, withInfo, CONTEXT).issues.map((i) => i.code)).toEqual(['mapping-required-missing']);
  });

  it('throws, naming the field, when a path stops on an element instead of a value', () => {
    const spec = specWith([{ name: 'period', path: 'item.productOrService' }]);
    expect(() => mapClaim(spec, BUNDLE, CONTEXT)).toThrow(/mapping field period: its path gives an element/);
  });
});

describe('convert', () => {
  it.each([
    ['integer', '42', 42], ['integer', 4.5, undefined], ['integer', 'x', undefined], ['decimal', '1.50', 1.5], ['decimal', Number.NaN, undefined],
    ['date', '2026-03-14T10:00:00Z', '2026-03-14'], ['date', '2026-03', undefined], ['boolean', 'false', false], ['boolean', 'yes', undefined],
    ['string', 12, '12'], ['string', {}, undefined],
  ] as const)('%s from %p gives %p', (type, value, expected) => {
    expect(convert(value, type)).toBe(expected);
  });
});
