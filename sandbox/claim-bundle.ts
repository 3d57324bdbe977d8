// Checks the shape of a Claim $submit body before any rule runs. Every problem is reported, each
// with its own FHIRPath expression, so an integrator fixes them all in one round trip.
import type { Bundle, Claim, ClaimInsurance, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { itemNet } from './claim-amounts.js';
import { errorIssue } from './outcomes.js';

/** A Claim $submit body that passed the shape checks. */
export interface ClaimBundle {
  readonly bundle: Bundle;
  readonly claim: Claim;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bundleIssues(body: unknown): OperationOutcomeIssue[] {
  if (!isObject(body) || body.resourceType !== 'Bundle') {
    return [errorIssue('invalid', 'The body must be a FHIR Bundle of type "collection" whose first entry is the Claim.', 'Bundle')];
  }
  const issues: OperationOutcomeIssue[] = [];
  if (body.type !== 'collection') {
    issues.push(errorIssue('invalid', `Bundle.type must be "collection", not ${JSON.stringify(body.type)}.`, 'Bundle.type'));
  }
  const first: unknown = Array.isArray(body.entry) ? body.entry[0] : undefined;
  const resource = isObject(first) ? first.resource : undefined;
  if (!isObject(resource) || resource.resourceType !== 'Claim') {
    issues.push(errorIssue('required', 'The first Bundle entry must be the Claim.', 'Bundle.entry[0].resource'));
  }
  return issues;
}

function itemIssues(claim: Claim, base: string): OperationOutcomeIssue[] {
  if (!Array.isArray(claim.item) || claim.item.length === 0) {
    return [errorIssue('required', 'The Claim must have at least one item.', `${base}.item`)];
  }
  return claim.item.flatMap((item, i) => {
    const issues: OperationOutcomeIssue[] = [];
    if (typeof item?.sequence !== 'number') {
      issues.push(errorIssue('required', 'Each item needs a sequence number.', `${base}.item[${i}].sequence`));
    }
    if (!isObject(item) || itemNet(item) === undefined) {
      issues.push(errorIssue('required', 'Each item needs net.value, or unitPrice.value.', `${base}.item[${i}].net`));
    }
    return issues;
  });
}

function claimIssues(claim: Claim): OperationOutcomeIssue[] {
  const base = 'Bundle.entry[0].resource';
  const issues: OperationOutcomeIssue[] = [];
  if (typeof claim.id !== 'string' || claim.id === '') {
    issues.push(errorIssue('required', "Claim.id must carry the gateway's claim id.", `${base}.id`));
  }
  if (!isObject(claim.type)) {
    issues.push(errorIssue('required', 'Claim.type is required.', `${base}.type`));
  }
  return [...issues, ...itemIssues(claim, base)];
}

/**
 * Checks a Claim $submit body: a collection Bundle whose first entry is a Claim with an id, a type and
 * at least one item, each item with a sequence and an amount.
 * @returns the Bundle and Claim, or every issue found.
 */
export function readClaimBundle(body: unknown): ClaimBundle | { issues: OperationOutcomeIssue[] } {
  const issues = bundleIssues(body);
  const first: unknown = isObject(body) && Array.isArray(body.entry) ? body.entry[0] : undefined;
  const resource = isObject(first) ? first.resource : undefined;
  if (!isObject(resource) || resource.resourceType !== 'Claim') {
    return { issues };
  }
  const claim = resource as unknown as Claim;
  const all = [...issues, ...claimIssues(claim)];
  return all.length > 0 ? { issues: all } : { bundle: body as unknown as Bundle, claim };
}

/**
 * The insurance entry the receiving insurer adjudicates: the one marked focal, else the first. With
 * coordination of benefits, a later payer receives the claim with its own entry focal and the earlier
 * payers' entries carrying their ClaimResponse.
 */
export function focalInsurance(claim: Claim): ClaimInsurance | undefined {
  const insurance = Array.isArray(claim.insurance) ? claim.insurance : [];
  return insurance.find((entry) => entry?.focal === true) ?? insurance[0];
}
