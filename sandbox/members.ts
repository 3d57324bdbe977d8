// What the sandbox knows about one member, whether it comes from a seed range or from a change made
// through the control API. Types only (and one ordering helper), so every module can share them.
import type { Identifier, Period } from '@medplum/fhirtypes';

/** Coverage.status values the sandbox gives its members. */
export type MemberStatus = 'active' | 'cancelled';

/** A member found in the registry, with the period (dates, YYYY-MM-DD) their coverage is in force. */
export interface MemberCoverage {
  readonly identifier: Identifier & { system: string; value: string };
  readonly period: Required<Pick<Period, 'start' | 'end'>>;
  /** Plan code (Coverage.class of type plan). */
  readonly plan: string;
  /** A cancelled coverage is never in force, whatever its period. */
  readonly status: MemberStatus;
}

/** A member as the registry answers it: coverage plus when it last changed. */
export interface RegistryMember extends MemberCoverage {
  /** FHIR instant (ISO 8601 with milliseconds, UTC). */
  readonly lastUpdated: string;
}

/** Code-unit string order, the same on every machine (localeCompare is not). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
