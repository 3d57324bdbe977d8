// Walks an insurer's members in a stable order without materialising them: a seed range may hold
// millions of numbers (digits: 7), so ranges are iterated lazily and merged, and paging seeks straight
// to where the previous page stopped (a binary search inside each range) instead of skipping from the
// start.
import { compareStrings, type RegistryMember } from './members.js';
import type { InsurerRegistry } from './registry.js';
import type { InsurerSeed, MemberRangeSeed } from './seed.js';

/** Where a page of a Coverage search stopped: the last entry's lastUpdated (ms) and member number. */
export interface ChangeKey {
  readonly time: number;
  readonly member: string;
}

function numberOf(range: MemberRangeSeed, n: number): string {
  return range.prefix + String(n).padStart(range.digits, '0');
}

/**
 * The member numbers of one range in ascending string order, only those after `after` when given.
 * Within a range every number has the same prefix and width, so string order is numeric order.
 */
export function* rangeNumbers(range: MemberRangeSeed, after?: string): Generator<string> {
  // Numbers wider than `digits` never match the range (registry.ts), so they are not listed either.
  const last = Math.min(range.to, 10 ** range.digits - 1);
  let n = range.from;
  if (after !== undefined) {
    let high = last + 1;
    while (n < high) {
      const mid = Math.floor((n + high) / 2);
      if (numberOf(range, mid) > after) high = mid;
      else n = mid + 1;
    }
  }
  for (; n <= last; n++) {
    yield numberOf(range, n);
  }
}

/** Merges ascending string sequences into one ascending sequence, each value once. */
export function* mergeAscending(sources: readonly Iterable<string>[]): Generator<string> {
  const iterators = sources.map((s) => s[Symbol.iterator]());
  const heads = iterators.map((it) => it.next());
  let previous: string | undefined;
  for (;;) {
    let min = -1;
    heads.forEach((head, i) => {
      const best = heads[min];
      if (!head.done && (best === undefined || best.done || head.value < best.value)) min = i;
    });
    const head = heads[min];
    const iterator = iterators[min];
    if (!head || head.done || !iterator) return;
    heads[min] = iterator.next();
    if (head.value !== previous) {
      previous = head.value;
      yield head.value;
    }
  }
}

/**
 * Every member of an insurer, ranges and changes (a change wins), by member number; only numbers
 * after `after` when given.
 */
export function* membersByNumber(registry: InsurerRegistry, insurer: InsurerSeed, after?: string): Generator<RegistryMember> {
  const changed = registry.overlay.numbers(insurer.id).filter((v) => after === undefined || v > after);
  for (const value of mergeAscending([...insurer.members.map((r) => rangeNumbers(r, after)), changed])) {
    const member = registry.findMember(insurer, value);
    if (member) yield member;
  }
}

/** Orders members as a Coverage search does: by lastUpdated, then member number (so Coverage id). */
export function compareKeys(a: ChangeKey, b: ChangeKey): number {
  return a.time - b.time || compareStrings(a.member, b.member);
}

/** The search key of a member. */
export function keyOf(member: RegistryMember): ChangeKey {
  return { time: Date.parse(member.lastUpdated), member: member.identifier.value };
}

/**
 * Every member of an insurer in search order, only those after `after` when given. Range members
 * all carry the server's start instant and every change is stamped after it, so the range members
 * come first (by number), then the changes in the order they were made.
 * @param withRanges false skips the range members (a `_lastUpdated` filter that excludes the start).
 */
export function* membersByChange(
  registry: InsurerRegistry,
  insurer: InsurerSeed,
  after: ChangeKey | undefined,
  withRanges: boolean,
): Generator<RegistryMember> {
  const start = registry.startedAt.getTime();
  if (withRanges && (!after || after.time <= start)) {
    const from = after?.time === start ? after.member : undefined;
    for (const value of mergeAscending(insurer.members.map((r) => rangeNumbers(r, from)))) {
      const member = registry.overlay.get(insurer.id, value) ? undefined : registry.rangeMember(insurer, value);
      if (member) yield member;
    }
  }
  for (const member of registry.overlay.byChange(insurer.id)) {
    if (!after || compareKeys(keyOf(member), after) > 0) yield member;
  }
}
