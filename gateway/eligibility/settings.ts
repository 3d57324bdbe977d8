/**
 * How an insurer's member registry is reached, as its participant registration says (docs/eligibility.md):
 * live (ask the insurer's API, cached) or synced (the gateway's PostgreSQL copy, imported and kept
 * current), and what the claim pipeline does with a claim for a member the registry does not cover.
 */
import { z } from 'zod';

/** A benefit of a plan for one item category (synced mode: the registry has no answer of its own). */
const benefitSchema = z.strictObject({
  /** ex-benefitcategory code (http://terminology.hl7.org/CodeSystem/ex-benefitcategory), e.g. "1" medical care. */
  category: z.string().min(1).max(64),
  /** Share the patient pays, in percent (benefit-type copay-percent). */
  copayPercent: z.number().min(0).max(100).optional(),
  /** Most the plan pays per year for this category, in the insurer's currency (benefit-type benefit). */
  maxAmount: z.number().nonnegative().optional(),
  /** Service codes of this category the plan never covers. */
  excludedServices: z.array(z.string().min(1)).max(1000).optional(),
});

export const eligibilitySettingsSchema = z.strictObject({
  mode: z.enum(['live', 'synced']),
  /** Identifier system of the insurer's member numbers (Coverage.identifier, Patient.identifier). */
  memberSystem: z.string().min(1).max(256),
  /** A claim for a member not covered on its service dates: refused (422), or forwarded with a warning. */
  policy: z.enum(['reject', 'warn']).default('reject'),
  /** Live: how long an answer is reused (Redis), in seconds; 0 = never cached. */
  cacheTtlSeconds: z.number().int().min(0).max(86_400).optional(),
  /** Live: the longest a call to the insurer may take, in ms. */
  timeoutMs: z.number().int().min(100).max(120_000).optional(),
  /** Past this many ms the provider gets 202 and the answer later (else ELIGIBILITY_BUDGET_MS). */
  budgetMs: z.number().int().min(50).max(60_000).optional(),
  /** Live: the insurer's CoverageEligibilityRequest/$submit, or a Coverage search by member identifier. */
  liveMethod: z.enum(['submit', 'coverage-search']).optional(),
  /** Synced: pull changed Coverage from the insurer's FHIR API every this many minutes (unset: imports only). */
  syncIntervalMinutes: z.number().int().min(1).max(10_080).optional(),
  /** Synced: plans by code, with their benefits per item category, for "benefits" requests. */
  plans: z.record(z.string().min(1).max(64), z.strictObject({
    name: z.string().min(1).max(200).optional(),
    benefits: z.array(benefitSchema).max(200).default([]),
  })).optional(),
});

export type EligibilitySettings = z.infer<typeof eligibilitySettingsSchema>;
export type PlanBenefit = z.infer<typeof benefitSchema>;

/** Defaults of the live mode. */
export const LIVE_DEFAULTS = { cacheTtlSeconds: 300, timeoutMs: 10_000, liveMethod: 'submit' } as const;
