// Who the sandbox insures: insurers and their members, expanded from the seed's member ranges, with the
// members changed through the control API laid over them. Range periods are computed on each look-up
// from the injected clock, so a server left running over New Year's Eve moves its members to the next
// year like the seed file says.
import type { Words } from './texts.js';
import { dateInPeriod } from './claim-amounts.js';
import { MemberOverlay } from './member-overlay.js';
import type { MemberCoverage, MemberStatus, RegistryMember } from './members.js';
import type { InsurerSeed, MemberRangeSeed, SandboxSeed } from './seed.js';

export type { MemberCoverage, RegistryMember } from './members.js';

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
 * Looks a member number up in one insurer's ranges (the seed only, no changes).
 * @returns the member, their coverage period and plan, or undefined when the number is not a member.
 */
export function findMember(insurer: InsurerSeed, value: string, now: Date): MemberCoverage | undefined {
  const range = insurer.members.find((r) => inRange(r, value));
  if (!range) {
    return undefined;
  }
  return { identifier: { system: insurer.memberSystem, value }, period: rangePeriod(range, now), plan: range.plan, status: 'active' };
}

/** Whether a member's coverage is in force on a date (YYYY-MM-DD): not cancelled, and in its period. */
export function memberInForce(member: MemberCoverage, date: string): boolean {
  return member.status === 'active' && dateInPeriod(date, member.period);
}

/** Why a member's coverage is not in force on a date, as a disposition sentence. */
export function notInForce(member: MemberCoverage, date: string): Words {
  const { start, end } = member.period;
  return member.status === 'cancelled'
    ? { en: `Coverage cancelled (was ${start} to ${end}).`, fr: `Couverture résiliée (elle courait du ${start} au ${end}).` }
    : { en: `Coverage not in force on ${date} (covered from ${start} to ${end}).`, fr: `Couverture non en vigueur le ${date} (couvert du ${start} au ${end}).` };
}

/**
 * A member as set through POST /_control/members. Each change states the whole member: omitted fields
 * take their defaults (the range's period and plan, status active), not the values of an earlier change.
 */
export interface MemberChange {
  readonly member: string;
  readonly period?: MemberCoverage['period'];
  readonly status?: MemberStatus;
  readonly plan?: string;
}

/** The insurers of one sandbox server, by id, and their members. */
export class InsurerRegistry {
  private readonly insurers: ReadonlyMap<string, InsurerSeed>;
  /** Members changed through the control API; they win over the ranges. */
  readonly overlay: MemberOverlay;

  /**
   * @param startedAt lastUpdated of every range member; default the clock's now.
   */
  constructor(
    seed: SandboxSeed,
    private readonly now: () => Date,
    readonly startedAt: Date = now(),
  ) {
    this.insurers = new Map(seed.insurers.map((i) => [i.id, i]));
    this.overlay = new MemberOverlay(startedAt);
  }

  /** The insurer with this id, or undefined. */
  get(insurerId: string): InsurerSeed | undefined {
    return this.insurers.get(insurerId);
  }

  /** Every insurer, in seed order. */
  list(): InsurerSeed[] {
    return [...this.insurers.values()];
  }

  /** Looks a member number up for an insurer, changes first, then ranges, using the sandbox clock. */
  findMember(insurer: InsurerSeed, value: string): RegistryMember | undefined {
    return this.overlay.get(insurer.id, value) ?? this.rangeMember(insurer, value);
  }

  /** The member as the seed's ranges say, ignoring changes; lastUpdated is the server's start. */
  rangeMember(insurer: InsurerSeed, value: string): RegistryMember | undefined {
    const member = findMember(insurer, value, this.now());
    return member ? { ...member, lastUpdated: this.startedAt.toISOString() } : undefined;
  }

  /**
   * Creates or changes a member. Defaults come from the member's range; a number outside every range
   * gets the current calendar year and plan STANDARD. Status defaults to active.
   */
  changeMember(insurer: InsurerSeed, change: MemberChange): RegistryMember {
    const now = this.now();
    const year = now.getUTCFullYear();
    const range = findMember(insurer, change.member, now);
    const member: MemberCoverage = {
      identifier: { system: insurer.memberSystem, value: change.member },
      period: change.period ?? range?.period ?? { start: `${year}-01-01`, end: `${year}-12-31` },
      plan: change.plan ?? range?.plan ?? 'STANDARD',
      status: change.status ?? 'active',
    };
    return this.overlay.put(insurer.id, member, now);
  }
}
