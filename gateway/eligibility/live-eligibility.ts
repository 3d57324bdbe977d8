/**
 * Live eligibility: the insurer's own API is asked (through its adapter), within a timeout, behind a
 * circuit breaker per insurer, and its answers are cached in Redis for the insurer's TTL. A dead insurer
 * thus answers fast ("insurer unavailable") instead of holding every desk for its timeout, and a member
 * asked about twice in a morning costs the insurer one call.
 *
 * The cache holds what an answer said about coverage (no patient, no ids), under a key made from a hash
 * of the member number and the question, so member numbers never appear in Redis.
 */
import { createHash } from 'node:crypto';
import type { RedisConnection } from '../queue/redis.js';
import type { Logger } from '../logger.js';
import { InsurerCircuit, type CircuitOptions } from '../../workers/insurer-circuit.js';
import { TransientDeliveryError, type EligibilityAnswer } from '../../mappings/adapter.js';
import type { AdapterRegistry } from '../../mappings/index.js';
import type { EligibilityQuestion } from './eligibility-request.js';
import { findingOf, type CoverageFact, type InsurerFinding } from './eligibility-response.js';
import { CoverageRejected, registryCoverageOf } from './fhir-coverage.js';
import { LIVE_DEFAULTS } from './settings.js';

/** What the insurer said, as the gateway keeps it. */
export type LiveFinding =
  | { readonly kind: 'insurer'; readonly finding: InsurerFinding }
  | { readonly kind: 'coverages'; readonly coverages: readonly CoverageFact[] }
  | { readonly kind: 'refused'; readonly httpStatus: number; readonly texts: readonly string[] };

/** The insurer cannot be asked now; retryAfterMs when its circuit says how long. */
export class InsurerUnavailable extends Error {
  constructor(message: string, readonly retryAfterMs?: number) {
    super(message);
    this.name = 'InsurerUnavailable';
  }
}

export interface LiveEligibilityDeps {
  readonly adapters: AdapterRegistry;
  /** Redis for the cache; its failures never fail a check (the insurer is asked instead). */
  readonly redis: () => RedisConnection;
  readonly prefix: string;
  readonly circuit: CircuitOptions;
  readonly logger: Logger;
  /** Counts cache hits and misses (metrics). */
  readonly onCache?: (insurerId: string, hit: boolean) => void;
}

/** Asks insurers live; one instance per process (its circuits are the process's view of each insurer). */
export class LiveEligibility {
  private readonly circuits = new Map<string, InsurerCircuit>();

  constructor(private readonly deps: LiveEligibilityDeps) {}

  /**
   * What the insurer says about the question's member, from the cache or the insurer.
   * @throws InsurerUnavailable when the circuit is open, or the insurer fails (timeout, 5xx, garbage).
   */
  async ask(question: EligibilityQuestion, idempotencyKey: string): Promise<LiveFinding> {
    const { insurer } = question;
    const settings = insurer.eligibility;
    const method = settings.liveMethod ?? LIVE_DEFAULTS.liveMethod;
    const ttl = settings.cacheTtlSeconds ?? LIVE_DEFAULTS.cacheTtlSeconds;
    const key = this.cacheKey(question, method);
    if (ttl > 0) {
      const cached = await this.deps.redis().get(key).catch(() => null);
      this.deps.onCache?.(insurer.id, cached !== null);
      if (cached !== null) return JSON.parse(cached) as LiveFinding;
    }
    const circuit = this.circuitOf(insurer.id);
    const wait = circuit.admit();
    if (wait > 0) throw new InsurerUnavailable(`${insurer.name} is not answering (its circuit is open after repeated failures)`, wait);
    let finding: LiveFinding;
    try {
      const adapter = this.deps.adapters.get(insurer.adapter);
      if (!adapter.checkEligibility) throw new Error(`the ${adapter.name} adapter cannot check eligibility live`);
      const answer = await adapter.checkEligibility({
        insurerId: insurer.id, settings: insurer.adapterSettings, method, bundle: question.bundle, member: question.member,
        idempotencyKey, signal: AbortSignal.timeout(settings.timeoutMs ?? LIVE_DEFAULTS.timeoutMs),
      });
      finding = findingFrom(answer, question);
    } catch (err) {
      if (!(err instanceof TransientDeliveryError)) throw err;
      if (circuit.failed()) this.deps.logger.warn({ insurer: insurer.id }, 'eligibility circuit open: the insurer is not answering');
      throw new InsurerUnavailable(`${insurer.name} did not answer: ${err.message}`);
    }
    if (circuit.succeeded()) this.deps.logger.info({ insurer: insurer.id }, 'eligibility circuit closed: the insurer answers again');
    if (ttl > 0 && finding.kind !== 'refused') {
      await this.deps.redis().set(key, JSON.stringify(finding), 'EX', ttl).catch(() => undefined);
    }
    return finding;
  }

  /** The circuit state of an insurer in this process (operators' health view). */
  circuitState(insurerId: string): string {
    return this.circuits.get(insurerId)?.state ?? 'closed';
  }

  private circuitOf(insurerId: string): InsurerCircuit {
    let circuit = this.circuits.get(insurerId);
    if (!circuit) this.circuits.set(insurerId, circuit = new InsurerCircuit(this.deps.circuit));
    return circuit;
  }

  /** A Coverage search answers for the member whatever the date; a $submit answer for this very question. */
  private cacheKey(question: EligibilityQuestion, method: string): string {
    const parts: unknown[] = [method, question.member.system, question.member.value];
    if (method === 'submit') parts.push(question.date, question.endDate, [...question.purposes].sort(), question.items);
    const hash = createHash('sha256').update(JSON.stringify(parts)).digest('base64url');
    return `${this.deps.prefix}:eligibility:${question.insurer.id}:${hash}`;
  }
}

function findingFrom(answer: EligibilityAnswer, question: EligibilityQuestion): LiveFinding {
  if (answer.kind === 'refused') {
    const texts = (answer.outcome.issue ?? []).map((i) => i.details?.text ?? i.diagnostics).filter((t): t is string => typeof t === 'string');
    return { kind: 'refused', httpStatus: answer.httpStatus, texts };
  }
  if (answer.kind === 'response') {
    const finding = findingOf(answer.response);
    if (!finding) throw new TransientDeliveryError('insurer answered with a CoverageEligibilityResponse that says nothing (no outcome complete, partial or error)');
    return { kind: 'insurer', finding };
  }
  const coverages: CoverageFact[] = [];
  for (const coverage of answer.coverages) {
    try {
      const row = registryCoverageOf(coverage, question.member.system, () => question.member.value);
      if (row.memberId === question.member.value) coverages.push(row);
    } catch (err) {
      if (!(err instanceof CoverageRejected)) throw err;
    }
  }
  return { kind: 'coverages', coverages: coverages.sort((a, b) => (b.periodStart ?? '').localeCompare(a.periodStart ?? '')) };
}
