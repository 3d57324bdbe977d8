// Who the sandbox insures: insurers and their members, expanded from the seed's member ranges.
// Periods are computed on each look-up from the injected clock, so a server left running over
// New Year's Eve moves its members to the next year like the seed file says.
import type { Identifier, Period } from '@medplum/fhirtypes';
import type { InsurerSeed, MemberRangeSeed, SandboxSeed } from './seed.js';

/** A member found in the registry, with the period (dates, YYYY-MM-DD) their coverage is in force. */
export interface MemberCoverage {
  readonly identifier: Identifier & { system: string; value: string };
  readonly period: Required<Pick<Period, 'start' | 'end'>>;
}

/** Coverage period of a member range, as whole calendar years relative to `now` (UTC: Dakar time). */
export function rangePeriod(range: MemberRangeSeed, now: Date): MemberCoverage['period'] {
  const year = now.getUTCFullYear();
  return {
    start: `${year + range.coverage.startYearOffset}-01-01`,
    end: `${year + range.coverage.endYearOffset}-12-31`,
  };
}

function inRange(range: MemberRangeSeed, value: string): boolean {
  if (!value.startsWith(range.prefix)) {
    return false;
  }
  const digits = value.slice(range.prefix.length);
  if (digits.length !== range.digits || !/^\d+$/.test(digits)) {
    return false;
  }
  const n = Number(digits);
  return n >= range.from && n <= range.to;
}

/**
 * Looks a member number up in one insurer's ranges.
 * @returns the member and their coverage period, or undefined when the number is not a member.
 */
export function findMember(insurer: InsurerSeed, value: string, now: Date): MemberCoverage | undefined {
  const range = insurer.members.find((r) => inRange(r, value));
  if (!range) {
    return undefined;
  }
  return { identifier: { system: insurer.memberSystem, value }, period: rangePeriod(range, now) };
}

/** The insurers of one sandbox server, by id. */
export class InsurerRegistry {
  private readonly insurers: ReadonlyMap<string, InsurerSeed>;

  constructor(
    seed: SandboxSeed,
    private readonly now: () => Date,
  ) {
    this.insurers = new Map(seed.insurers.map((i) => [i.id, i]));
  }

  /** The insurer with this id, or undefined. */
  get(insurerId: string): InsurerSeed | undefined {
    return this.insurers.get(insurerId);
  }

  /** Every insurer, in seed order. */
  list(): InsurerSeed[] {
    return [...this.insurers.values()];
  }

  /** Looks a member number up for an insurer, using the sandbox clock. */
  findMember(insurer: InsurerSeed, value: string): MemberCoverage | undefined {
    return findMember(insurer, value, this.now());
  }
}
