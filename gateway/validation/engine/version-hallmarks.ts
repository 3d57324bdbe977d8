/**
 * Resources from another FHIR version are the most common mistake of a system written for STU3 or
 * R5. Rather than a list of unknown elements, the provider is told which version the resource looks
 * like, from elements and resource types that exist only there.
 */

/** Resource types of STU3 that R4 renamed or removed, and types new in R5. */
const RESOURCE_TYPES: Readonly<Record<string, 'STU3' | 'R5'>> = {
  EligibilityRequest: 'STU3', EligibilityResponse: 'STU3', ProcessRequest: 'STU3', ProcessResponse: 'STU3', ProcedureRequest: 'STU3',
  ReferralRequest: 'STU3', DataElement: 'STU3', DeviceComponent: 'STU3', ImagingManifest: 'STU3', BodySite: 'STU3', Sequence: 'STU3', ServiceDefinition: 'STU3',
  SubscriptionTopic: 'R5', SubscriptionStatus: 'R5', Transport: 'R5', InventoryItem: 'R5', InventoryReport: 'R5', ActorDefinition: 'R5', Requirements: 'R5',
  ArtifactAssessment: 'R5', ClinicalUseDefinition: 'R5', ConditionDefinition: 'R5', DeviceDispense: 'R5', DeviceUsage: 'R5', EncounterHistory: 'R5',
  FormularyItem: 'R5', GenomicStudy: 'R5', ImagingSelection: 'R5', NutritionIntake: 'R5', NutritionProduct: 'R5', Permission: 'R5', TestPlan: 'R5',
};

/** Elements, per resource type, that exist in STU3 or in R5 but not in R4. */
const ELEMENTS: Readonly<Record<string, Readonly<Record<string, 'STU3' | 'R5'>>>> = {
  Claim: { organization: 'STU3', employmentImpacted: 'STU3', hospitalization: 'STU3', information: 'STU3', encounter: 'R5', event: 'R5', traceNumber: 'R5', diagnosisRelatedGroup: 'R5', patientPaid: 'R5' },
  ClaimResponse: { requestProvider: 'STU3', requestOrganization: 'STU3', totalCost: 'STU3', totalBenefit: 'STU3', unallocDeductable: 'STU3', traceNumber: 'R5', decision: 'R5', event: 'R5', diagnosisRelatedGroup: 'R5' },
  Coverage: { grouping: 'STU3', sequence: 'STU3', kind: 'R5', insurer: 'R5', paymentBy: 'R5' },
  Patient: { animal: 'STU3' },
  Organization: { qualification: 'R5', description: 'R5' },
  Practitioner: { deceasedBoolean: 'R5', deceasedDateTime: 'R5' },
  CoverageEligibilityRequest: { event: 'R5' },
  CoverageEligibilityResponse: { event: 'R5' },
  Bundle: { issues: 'R5' },
};

/** The version a resource seems written for, given its type and the elements R4 did not know; undefined when nothing points elsewhere. */
export function versionHallmarks(resourceType: string, unknownElements: readonly string[]): { version: 'STU3' | 'R5'; elements: string[] } | undefined {
  const typeVersion = RESOURCE_TYPES[resourceType];
  if (typeVersion) return { version: typeVersion, elements: [`resourceType ${resourceType}`] };
  const table = ELEMENTS[resourceType] ?? {};
  const found = unknownElements.filter((e) => Object.hasOwn(table, e));
  if (found.length === 0) return undefined;
  const version = table[found[0]!]!;
  return { version, elements: found.filter((e) => table[e] === version) };
}
