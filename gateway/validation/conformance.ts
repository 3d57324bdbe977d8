/**
 * The gateway's conformance checker: the validation engine loaded with the R4 core and the published
 * packs, warmed at start so no request pays for compiling a StructureDefinition, and the packs in
 * force for a participant.
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { coreDefinitions } from './engine/definitions.js';
import { ValidationEngine } from './engine/engine.js';
import { BASE_PACK, PackCatalogue, type PackScheduleEntry, type PackVersion } from './packs.js';
import { PARTICIPANT_SYSTEM } from '../participants/registry.js';
import type { Language } from './rules.js';

/** The resource types of claims and eligibility, compiled at start. */
const WARM_TYPES = ['Bundle', 'Claim', 'ClaimResponse', 'Coverage', 'CoverageEligibilityRequest', 'CoverageEligibilityResponse',
  'Patient', 'Organization', 'Practitioner', 'PractitionerRole', 'Location', 'OperationOutcome', 'Parameters'];

/** How one validation is asked for. */
export interface ConformanceRequest {
  readonly language?: Language;
  /** FHIRPath of the resource's root. */
  readonly expression?: string;
  /** Pack versions whose profiles apply to every resource of their type. */
  readonly packs?: readonly PackVersion[];
  /** Profiles the root resource must meet as well (canonical url or url|version). */
  readonly profiles?: readonly string[];
  /**
   * The insurer whose packs these are: its packs' Coverage profiles then apply only to the Coverages
   * it pays, not to another payer's in the same bundle (coordination of benefits); the base pack
   * applies to every resource.
   */
  readonly insurerId?: string;
}

/** R4 conformance and published profiles, ready for the request path. */
export class Conformance {
  private constructor(readonly engine: ValidationEngine, readonly catalogue: PackCatalogue) {}

  /** Loads the core definitions (once per process) and the packs, and compiles what claims need. */
  static async load(catalogue?: PackCatalogue): Promise<Conformance> {
    const packs = catalogue ?? await PackCatalogue.load();
    const engine = new ValidationEngine(await coreDefinitions(), packs.engineSources());
    const profiles = packs.versions.flatMap((v) => WARM_TYPES.flatMap((t) => packs.profilesOf(v, t)));
    engine.warm(WARM_TYPES, profiles);
    return new Conformance(engine, packs);
  }

  /** Every issue of a resource against R4, the packs given and the profiles asked for. */
  validate(resource: unknown, request: ConformanceRequest = {}): OperationOutcomeIssue[] {
    const packs = request.packs ?? [];
    const byType = new Map<string, string[]>();
    const profilesFor = (type: string, resource: Readonly<Record<string, unknown>>) => {
      const own = type !== 'Coverage' || !request.insurerId || !paidByAnother(resource, request.insurerId);
      const key = own ? type : `${type} of another payer`;
      let found = byType.get(key);
      if (!found) byType.set(key, found = packs.filter((p) => own || p.pack === BASE_PACK).flatMap((p) => this.catalogue.profilesOf(p, type)));
      return found;
    };
    return this.engine.validate(resource, { language: request.language, expression: request.expression, profiles: request.profiles, profilesFor });
  }

  /** The pack versions in force for a participant's schedule now (the base pack always). */
  packsInForce(schedule: readonly PackScheduleEntry[] = [], at = new Date()): PackVersion[] {
    return this.catalogue.inForce(schedule, at);
  }
}

/**
 * Whether a Coverage names its payor as a participant other than this insurer (by the participant
 * identifier, or a literal Organization/{participant id}): true; false when it names this insurer or no
 * participant at all (the insurer's own profiles then judge it, as before).
 */
function paidByAnother(coverage: Readonly<Record<string, unknown>>, insurerId: string): boolean {
  const payors = Array.isArray(coverage.payor) ? coverage.payor as Array<{ reference?: unknown; identifier?: { system?: unknown; value?: unknown } }> : [];
  const named = payors.map((p) => (p?.identifier?.system === PARTICIPANT_SYSTEM && typeof p.identifier.value === 'string' ? p.identifier.value
    : typeof p?.reference === 'string' ? /^Organization\/([A-Za-z0-9\-.]{1,64})$/.exec(p.reference)?.[1] : undefined)).filter((v): v is string => v !== undefined);
  return named.length > 0 && !named.includes(insurerId);
}
