/**
 * The gateway's conformance checker: the validation engine loaded with the R4 core and the published
 * packs, warmed at start so no request pays for compiling a StructureDefinition, and the packs in
 * force for a participant.
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { coreDefinitions } from './engine/definitions.js';
import { ValidationEngine } from './engine/engine.js';
import { PackCatalogue, type PackScheduleEntry, type PackVersion } from './packs.js';
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
    const profilesFor = (type: string) => {
      let found = byType.get(type);
      if (!found) byType.set(type, found = packs.flatMap((p) => this.catalogue.profilesOf(p, type)));
      return found;
    };
    return this.engine.validate(resource, { language: request.language, expression: request.expression, profiles: request.profiles, profilesFor });
  }

  /** The pack versions in force for a participant's schedule now (the base pack always). */
  packsInForce(schedule: readonly PackScheduleEntry[] = [], at = new Date()): PackVersion[] {
    return this.catalogue.inForce(schedule, at);
  }
}
