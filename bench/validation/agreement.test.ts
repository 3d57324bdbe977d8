import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { compareFindings, medplumFindings, passerelleFindings, reports, schemaFindings } from './agreement.js';
import { rebase } from './medplum.js';

const passerelle = (rule: string, path: string, severity: OperationOutcomeIssue['severity'] = 'error'): OperationOutcomeIssue => ({
  severity, code: 'structure', expression: [path],
  details: { coding: [{ system: 'gateway', code: 'validation' }, { system: 'rules', code: rule }], text: rule },
});
const medplum = (text: string, path: string, extra: Partial<OperationOutcomeIssue> = {}): OperationOutcomeIssue => ({
  severity: 'error', code: 'structure', details: { text }, expression: [path], ...extra,
});

describe('medplum paths', () => {
  it('rebases an entry validated on its own onto its place in the Bundle', () => {
    expect(rebase('Claim.item[0].net', 'Claim', 'Bundle.entry[0].resource')).toBe('Bundle.entry[0].resource.item[0].net');
    expect(rebase('Claim', 'Claim', 'Bundle.entry[2].resource')).toBe('Bundle.entry[2].resource');
    expect(rebase('ClaimResponse.status', 'Claim', 'Bundle.entry[0].resource')).toBe('ClaimResponse.status');
  });
});

describe('findings', () => {
  it('keeps errors only and names Passerelle rules by family, invariant keys as invariants', () => {
    const findings = passerelleFindings([
      passerelle('fhir-cardinality-min', 'Bundle.entry[0].resource.priority'),
      passerelle('pas-claim-total', 'Bundle.entry[0].resource'),
      passerelle('fhir-binding-extensible', 'Bundle.entry[0].resource.type', 'warning'),
    ]);
    expect(findings.map((f) => f.family)).toEqual(['cardinality', 'invariant pas-claim-total']);
  });

  it('sets apart the invariants medplum could not evaluate', () => {
    const fhirpath = JSON.stringify({ fhirpath: 'item.net.value.sum() = total.value' });
    const { findings, unevaluated } = medplumFindings([
      medplum('Error evaluating invariant expression', 'Claim', { code: 'processing', diagnostics: fhirpath }),
      medplum('Constraint pas-claim-total not met: total', 'Claim', { code: 'invariant', diagnostics: fhirpath }),
      medplum('Invalid additional property "unitCost"', 'Claim.item[0].unitCost'),
    ]);
    expect(findings).toEqual([{ family: 'unknown element', path: 'Claim.item[0].unitCost', message: 'Invalid additional property "unitCost"' }]);
    expect(unevaluated.map((f) => [f.family, f.expression])).toEqual([['invariant pas-claim-total', 'item.net.value.sum() = total.value']]);
  });

  it('drops the index-less twin medplum reports from the Bundle pass', () => {
    const { findings } = medplumFindings([
      medplum('Expected array of values for property', 'Bundle.entry[0].resource.identifier'),
      medplum('Expected array of values for property', 'Bundle.entry.resource.identifier'),
    ]);
    expect(findings.map((f) => f.path)).toEqual(['Bundle.entry[0].resource.identifier']);
  });

  it('reads the JSON schema validator\'s issue types', () => {
    const issue = (code: OperationOutcomeIssue['code'], text: string): OperationOutcomeIssue => ({ severity: 'error', code, details: { text }, expression: ['Bundle.entry[0].resource.identifier'] });
    expect(schemaFindings([issue('value', 'Invalid value: expected of JSON type array'), issue('required', 'Missing required element "status"')])
      .map((f) => f.family)).toEqual(['array shape', 'cardinality']);
  });
});

describe('compareFindings', () => {
  const f = (family: string, path: string) => ({ family, path, message: family });

  it('matches one to one by family and location, then by location without indices', () => {
    const result = compareFindings(
      [f('cardinality', 'Bundle.entry[0].resource.item.net'), f('value', 'Bundle.entry[0].resource.created'), f('unknown element', 'Bundle.entry[1].resource.x')],
      [f('cardinality', 'Bundle.entry[0].resource.item[1].net'), f('value', 'Bundle.entry[0].resource.created'), f('code', 'Bundle.entry[0].resource.status')],
    );
    expect(result.agreed).toBe(2);
    expect(result.onlyFirst).toEqual([f('unknown element', 'Bundle.entry[1].resource.x')]);
    expect(result.onlySecond).toEqual([f('code', 'Bundle.entry[0].resource.status')]);
  });

  it('does not match the same rule at another location, nor another rule at the same location', () => {
    const result = compareFindings([f('value', 'Claim.created')], [f('value', 'Claim.billablePeriod.start'), f('code', 'Claim.created')]);
    expect(result.agreed).toBe(0);
  });

  it('counts an empty string as the same defect whether called an empty value or an invalid value', () => {
    expect(compareFindings([f('value', 'P.name[0].family')], [f('empty value', 'P.name[0].family')]).agreed).toBe(1);
    expect(reports([f('value', 'P.name[0].family')], { family: 'empty value', path: 'P.name[0].family' })).toBe(true);
  });
});
