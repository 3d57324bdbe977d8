/**
 * Settings of an openIMIS insurer (adapterSettings in the participant registry), and the openIMIS
 * systems its FHIR module uses.
 */
import { z } from 'zod';

/** Where openIMIS's FHIR IG keeps its code systems and extensions. */
export const OPENIMIS_IG = 'https://openimis.github.io/openimis_fhir_r4_ig';
export const IDENTIFIER_TYPE_SYSTEM = `${OPENIMIS_IG}/CodeSystem/openimis-identifiers`;
export const CLAIM_ITEM_REFERENCE = `${OPENIMIS_IG}/StructureDefinition/claim-item-reference`;
export const CLAIM_STATUS_SYSTEM = `${OPENIMIS_IG}/CodeSystem/claim-status`;
export const REJECTION_REASON_SYSTEM = `${OPENIMIS_IG}/CodeSystem/claim-rejection-reasons`;
export const VISIT_TYPE_SYSTEM = `${OPENIMIS_IG}/CodeSystem/claim-visit-type`;
export const SUPPORTING_INFO_SYSTEM = `${OPENIMIS_IG}/CodeSystem/claim-supporting-info-category`;

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'the name of an environment variable');

export const openImisSettingsSchema = z.strictObject({
  /** The module's FHIR base, e.g. https://imis.example.sn/api/api_fhir_r4 (login is at {baseUrl}/login/). */
  baseUrl: z.url({ protocol: /^https?$/ }),
  /** Environment variables holding the gateway's openIMIS user name and password (never the secrets themselves). */
  usernameEnv: envName,
  passwordEnv: envName,
  /** Identifier type of claim codes and insurees' CHF IDs: Code in the IG; some configurations use MR / SB. */
  claimCodeType: z.string().min(1).default('Code'),
  insureeIdentifierType: z.string().min(1).default('Code'),
  /** Health facility code per provider participant id, for claims whose Claim.facility names none. */
  healthFacilityCodes: z.record(z.string(), z.string().min(1).max(8)).default({}),
  /** The member system of CHF IDs on Patient resources (the eligibility memberSystem), when they carry no type. */
  memberSystem: z.string().min(1).optional(),
  timeoutMs: z.number().int().positive().max(120_000).optional(),
});

export type OpenImisSettings = z.infer<typeof openImisSettingsSchema>;

/** The insurer's settings, checked; throws one readable message listing every problem. */
export function openImisSettings(raw: Readonly<Record<string, unknown>>): OpenImisSettings {
  const parsed = openImisSettingsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`openimis adapter settings: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'settings'}: ${i.message}`).join('; ')}`);
  }
  return { ...parsed.data, baseUrl: parsed.data.baseUrl.replace(/\/+$/, '') };
}
