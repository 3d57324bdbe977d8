/**
 * A gateway claim bundle as openIMIS's FHIR module takes it (openimis-be-api_fhir_r4_py, ClaimConverter):
 * the Claim alone, every party named by an openIMIS code (claim code, insuree CHF ID, health facility,
 * claim administrator), items as openIMIS medical items (Medication) or services (ActivityDefinition)
 * through the claim-item-reference extension with category.text "item" / "service", at most five
 * diagnoses main first, supportingInfo only of the categories openIMIS knows. What openIMIS cannot take
 * is returned as mapping issues, never dropped.
 */
import type { Bundle, Claim, ClaimItem, Identifier, Patient, Reference } from '@medplum/fhirtypes';
import type { Bilingual } from '../../gateway/fhir/outcomes.js';
import type { MappingIssue } from '../adapter.js';
import { unsupportedElements } from '../claim-elements.js';
import {
  CLAIM_ITEM_REFERENCE, IDENTIFIER_TYPE_SYSTEM, SUPPORTING_INFO_SYSTEM, VISIT_TYPE_SYSTEM, type OpenImisSettings,
} from './settings.js';

const INSURER_NAME = 'openIMIS';
const PARTICIPANT_SYSTEM = 'urn:passerelle:participant';

/**
 * The Claim elements openIMIS takes, or that the gateway consumes (insurer, the insurance entries'
 * coverage: routing and eligibility; a prior authorisation reference has no place in openIMIS's claim); net and per-item dates and diagnosis links: implied by unit price × quantity, the
 * visit's billablePeriod and the main diagnosis). Anything else populated is a mapping issue.
 */
export const OPENIMIS_ACCEPTS = [
  'Claim.identifier', 'Claim.status', 'Claim.type', 'Claim.use', 'Claim.patient', 'Claim.billablePeriod', 'Claim.created',
  'Claim.enterer', 'Claim.insurer', 'Claim.provider', 'Claim.facility', 'Claim.priority', 'Claim.supportingInfo', 'Claim.diagnosis',
  'Claim.insurance.sequence', 'Claim.insurance.focal', 'Claim.insurance.coverage', 'Claim.total', 'Claim.item.extension', 'Claim.item.sequence', 'Claim.item.category', 'Claim.item.productOrService',
  'Claim.item.quantity', 'Claim.item.unitPrice', 'Claim.item.net', 'Claim.item.servicedDate', 'Claim.item.servicedPeriod',
  'Claim.item.diagnosisSequence',
] as const;

const SUPPORTING_INFO_CATEGORIES = new Set(['guarantee', 'explanation', 'attachment']);

/** openIMIS's kind of a claim line, from its claim-item-reference. */
export type ItemKind = 'item' | 'service';

/** The openIMIS claim, or the issues that keep the claim from being one. */
export interface OpenImisClaim {
  readonly claim?: Claim;
  /** The claim code (identifier of type Code): how openIMIS finds the claim again. */
  readonly code?: string;
  readonly issues: readonly MappingIssue[];
}

/** The kind of each item of the claim, in order (undefined: no claim-item-reference saying which). */
export function itemKinds(claim: Claim): Array<ItemKind | undefined> {
  return (claim.item ?? []).map(kindOf);
}

function kindOf(item: ClaimItem): ItemKind | undefined {
  const ref = item.extension?.find((e) => e.url === CLAIM_ITEM_REFERENCE)?.valueReference;
  const type = ref?.type ?? ref?.reference?.split('/')[0];
  return type === 'Medication' ? 'item' : type === 'ActivityDefinition' ? 'service' : undefined;
}

function typed(identifier: Identifier | undefined, type: string): boolean {
  return Boolean(identifier?.type?.coding?.some((c) => c.code === type && (!c.system || c.system === IDENTIFIER_TYPE_SYSTEM)));
}

function codeIdentifier(type: string, value: string): Identifier {
  return { type: { coding: [{ system: IDENTIFIER_TYPE_SYSTEM, code: type }] }, value };
}

function byIdentifier(resourceType: 'Patient' | 'Practitioner' | 'Organization', type: string, value: string): Reference {
  return { type: resourceType, identifier: codeIdentifier(type, value) };
}

function resolvePatient(bundle: Bundle, claim: Claim): Patient | undefined {
  const ref = claim.patient?.reference;
  if (!ref) return undefined;
  const entry = bundle.entry?.find((e) => e.fullUrl === ref || (e.resource?.resourceType === 'Patient' && `Patient/${e.resource.id}` === ref));
  return entry?.resource?.resourceType === 'Patient' ? entry.resource : undefined;
}

/** The insuree's CHF ID: on Claim.patient's identifier, else on the Patient, by type or by the member system. */
function chfId(bundle: Bundle, claim: Claim, settings: OpenImisSettings): string | undefined {
  const onReference = claim.patient?.identifier;
  if (onReference?.value && (typed(onReference, settings.insureeIdentifierType) || onReference.system === settings.memberSystem)) return onReference.value;
  const patient = resolvePatient(bundle, claim);
  const found = patient?.identifier?.find((i) => typed(i, settings.insureeIdentifierType))
    ?? patient?.identifier?.find((i) => settings.memberSystem !== undefined && i.system === settings.memberSystem);
  return found?.value;
}

/** The health facility code: Claim.facility's identifier, else the settings' code for the provider. */
function facilityCode(claim: Claim, settings: OpenImisSettings): string | undefined {
  const facility = claim.facility?.identifier;
  if (facility?.value) return facility.value;
  const provider = claim.provider?.identifier;
  return provider?.system === PARTICIPANT_SYSTEM && provider.value ? settings.healthFacilityCodes[provider.value] : undefined;
}

const required = (expression: string, what: Bilingual): MappingIssue => ({
  code: 'mapping-required-missing', expression, message: { en: `${INSURER_NAME} needs ${what.en}`, fr: `${INSURER_NAME} exige ${what.fr}` },
});

/** Builds the openIMIS claim from a gateway claim bundle (Claim first). */
export function toOpenImisClaim(bundle: Bundle, settings: OpenImisSettings): OpenImisClaim {
  const claim = bundle.entry?.[0]?.resource as Claim | undefined;
  if (claim?.resourceType !== 'Claim') return { issues: [required('Bundle.entry[0].resource', { en: 'a Claim first in the bundle', fr: 'une Claim en première entrée du bundle' })] };
  const issues: MappingIssue[] = [...unsupportedElements(claim, OPENIMIS_ACCEPTS, INSURER_NAME)];
  const code = claim.identifier?.find((i) => typed(i, settings.claimCodeType))?.value;
  if (!code) issues.push(required('Claim.identifier', {
    en: `the claim code: an identifier of type ${settings.claimCodeType} (${IDENTIFIER_TYPE_SYSTEM})`,
    fr: `le code de la demande : un identifiant de type ${settings.claimCodeType} (${IDENTIFIER_TYPE_SYSTEM})`,
  }));
  else if (code.length > 8) issues.push({ code: 'mapping-value-invalid', expression: 'Claim.identifier', message: {
    en: `${INSURER_NAME} takes claim codes of at most 8 characters; this one has ${code.length}`,
    fr: `${INSURER_NAME} prend des codes de demande de 8 caractères au plus ; celui-ci en a ${code.length}`,
  } });
  const insuree = chfId(bundle, claim, settings);
  if (!insuree) issues.push(required('Claim.patient', {
    en: `the insuree's CHF ID: an identifier of type ${settings.insureeIdentifierType} on Claim.patient or the Patient`,
    fr: `le CHF ID de l'assuré : un identifiant de type ${settings.insureeIdentifierType} sur Claim.patient ou le Patient`,
  }));
  const facility = facilityCode(claim, settings);
  if (!facility) issues.push(required('Claim.facility', {
    en: 'the health facility code: Claim.facility.identifier, or healthFacilityCodes in the insurer\'s adapter settings',
    fr: "le code de l'établissement de santé : Claim.facility.identifier, ou healthFacilityCodes dans les réglages d'adaptateur de l'assureur",
  }));
  else if (facility.length > 8) issues.push({ code: 'mapping-value-invalid', expression: 'Claim.facility', message: {
    en: `${INSURER_NAME} takes health facility codes of at most 8 characters; this one has ${facility.length}`,
    fr: `${INSURER_NAME} prend des codes d'établissement de santé de 8 caractères au plus ; celui-ci en a ${facility.length}`,
  } });
  const enterer = claim.enterer?.identifier?.value;
  if (!enterer) issues.push(required('Claim.enterer', { en: 'the claim administrator\'s code (Claim.enterer.identifier)', fr: 'le code de l\'agent de saisie de la demande (Claim.enterer.identifier)' }));
  const visitType = claim.type?.coding?.find((c) => c.system === VISIT_TYPE_SYSTEM)?.code;
  if (!visitType) issues.push(required('Claim.type', { en: `a visit type of ${VISIT_TYPE_SYSTEM} (E, R or O)`, fr: `un type de visite de ${VISIT_TYPE_SYSTEM} (E, R ou O)` }));
  if (!claim.billablePeriod?.start) issues.push(required('Claim.billablePeriod.start', { en: 'the visit date', fr: 'la date de la visite' }));
  const diagnoses = [...(claim.diagnosis ?? [])].sort((a, b) => a.sequence - b.sequence);
  if (diagnoses.length > 5) issues.push({ code: 'mapping-value-invalid', expression: 'Claim.diagnosis', message: {
    en: `${INSURER_NAME} takes at most 5 diagnoses (a main one and four secondary); the claim has ${diagnoses.length}`,
    fr: `${INSURER_NAME} prend au plus 5 diagnostics (un principal et quatre secondaires) ; la demande en a ${diagnoses.length}`,
  } });
  (claim.supportingInfo ?? []).forEach((info, i) => {
    const category = info.category?.coding?.find((c) => c.system === SUPPORTING_INFO_SYSTEM)?.code;
    if (!category || !SUPPORTING_INFO_CATEGORIES.has(category)) {
      issues.push({ code: 'mapping-unsupported-element', expression: `Claim.supportingInfo[${i}]`, message: {
        en: `${INSURER_NAME} takes supporting information of the categories guarantee, explanation and attachment (${SUPPORTING_INFO_SYSTEM}) only`,
        fr: `${INSURER_NAME} ne prend que les informations complémentaires des catégories guarantee, explanation et attachment (${SUPPORTING_INFO_SYSTEM})`,
      } });
    }
  });
  const items = (claim.item ?? []).map((item, i) => {
    const kind = kindOf(item);
    if (!kind) issues.push(required(`Claim.item[${i}].extension`, {
      en: 'the claim-item-reference extension naming an openIMIS Medication (medical item) or ActivityDefinition (service)',
      fr: "l'extension claim-item-reference désignant une Medication (article médical) ou une ActivityDefinition (acte) openIMIS",
    }));
    const code = item.productOrService?.coding?.[0]?.code ?? item.productOrService?.text;
    return {
      extension: item.extension?.filter((e) => e.url === CLAIM_ITEM_REFERENCE),
      sequence: item.sequence,
      category: { text: kind ?? 'item' },
      productOrService: { ...item.productOrService, ...(code ? { text: code } : {}) },
      quantity: item.quantity,
      unitPrice: item.unitPrice,
    } as ClaimItem;
  });
  if (issues.length > 0) return { code, issues };
  const out: Claim = {
    resourceType: 'Claim',
    identifier: [codeIdentifier(settings.claimCodeType, code!)],
    status: 'active',
    type: { coding: claim.type!.coding!.filter((c) => c.system === VISIT_TYPE_SYSTEM) },
    use: claim.use ?? 'claim',
    patient: byIdentifier('Patient', settings.insureeIdentifierType, insuree!),
    billablePeriod: claim.billablePeriod,
    created: claim.created,
    enterer: byIdentifier('Practitioner', 'Code', enterer!),
    provider: byIdentifier('Organization', 'Code', facility!),
    ...(claim.priority ? { priority: claim.priority } : {}),
    ...(claim.supportingInfo ? { supportingInfo: claim.supportingInfo } : {}),
    diagnosis: diagnoses,
    item: items,
    ...(claim.total ? { total: claim.total } : {}),
  } as Claim;
  return { claim: out, code, issues };
}
