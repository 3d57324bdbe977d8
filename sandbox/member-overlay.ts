// Members changed while the sandbox runs (POST /_control/members), kept in memory beside the seed's
// ranges and winning over them. Each change is stamped with a lastUpdated instant that only grows per
// insurer, so a registry sync paging by `_lastUpdated=gt...` sees every change exactly once and in order.
import { compareStrings, type MemberCoverage, type RegistryMember } from './members.js';

/** The changed members of every insurer of one sandbox server. */
export class MemberOverlay {
  // Per insurer, by member number, in change order: a changed member is deleted then set again, so
  // iterating a map walks the members by lastUpdated.
  private readonly members = new Map<string, Map<string, RegistryMember>>();
  // Highest stamp given per insurer. Kept across clear(): a sync that already saw a stamp must never be
  // handed an older or equal one for a later change.
  private readonly stamps = new Map<string, number>();

  /**
   * @param startedAt when the server started: range members carry this instant, so every change is
   * stamped strictly after it (a `_lastUpdated=gt<start>` search lists changes only).
   */
  constructor(private readonly startedAt: Date) {}

  /** Records a member's new state, stamped now (or 1 ms after the insurer's previous stamp). */
  put(insurerId: string, member: MemberCoverage, now: Date): RegistryMember {
    const previous = this.stamps.get(insurerId) ?? this.startedAt.getTime();
    const stamp = Math.max(now.getTime(), previous + 1);
    this.stamps.set(insurerId, stamp);
    const stamped: RegistryMember = { ...member, lastUpdated: new Date(stamp).toISOString() };
    const members = this.members.get(insurerId) ?? new Map<string, RegistryMember>();
    members.delete(member.identifier.value);
    members.set(member.identifier.value, stamped);
    this.members.set(insurerId, members);
    return stamped;
  }

  /** The changed member with this number, or undefined when it was never changed. */
  get(insurerId: string, value: string): RegistryMember | undefined {
    return this.members.get(insurerId)?.get(value);
  }

  /** The insurer's changed members, oldest change first. */
  byChange(insurerId: string): RegistryMember[] {
    return [...(this.members.get(insurerId)?.values() ?? [])];
  }

  /** The insurer's changed member numbers, in string order. */
  numbers(insurerId: string): string[] {
    return [...(this.members.get(insurerId)?.keys() ?? [])].sort(compareStrings);
  }

  /** Forgets every change (members fall back to their ranges); stamps keep growing. */
  clear(): void {
    this.members.clear();
  }
}
