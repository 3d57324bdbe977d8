/**
 * A claim's progress as a provider's command sees it: its processing status and latest answer (a status
 * Task, docs/lifecycle.md), waiting for a final status, and the one-line summary of a ClaimResponse
 * (outcome, amount paid, disposition: never the patient).
 */
import type { ClaimResponse, Task } from '@medplum/fhirtypes';
import { FINANCIAL_TASK_SYSTEM } from '../claims/claim-tasks.js';
import { PROCESSING_STATUS_EXTENSION } from '../claims/claim-status.js';
import type { Language } from '../validation/rules.js';
import { gatewayCall, type GatewayConnection } from './gateway-client.js';

/** Statuses after which a claim does not change by itself. */
export const FINAL_STATUSES: ReadonlySet<string> = new Set(['complete', 'partial', 'error', 'failed', 'cancelled']);

/** Final statuses that are a negative result (exit 1). */
export const NEGATIVE_STATUSES: ReadonlySet<string> = new Set(['error', 'failed', 'cancelled']);

/** A claim's status and its latest answer. */
export interface ClaimProgress {
  readonly claimId: string;
  readonly status: string;
  /** The completed status Task, as the gateway answered it. */
  readonly task: Task;
  /** The latest ClaimResponse (the gateway's "queued" one until the insurer answers). */
  readonly response?: ClaimResponse;
}

/** The claim's status and latest answer, by a status Task (the gateway asks the insurer first when the claim waits for it). */
export async function claimProgress(conn: GatewayConnection, claimId: string): Promise<ClaimProgress> {
  const task = (await gatewayCall(conn, 'POST', '/fhir/Task', {
    contentType: 'application/fhir+json',
    body: {
      resourceType: 'Task', status: 'requested', intent: 'order',
      code: { coding: [{ system: FINANCIAL_TASK_SYSTEM, code: 'status' }] }, focus: { reference: `Claim/${claimId}` },
    },
  })).body as unknown as Task;
  const responseRef = task.output?.find((o) => o.valueReference?.reference?.startsWith('ClaimResponse/'))?.valueReference?.reference;
  const response = responseRef ? (await gatewayCall(conn, 'GET', `/fhir/${responseRef.split('/').map(encodeURIComponent).join('/')}`)).body as unknown as ClaimResponse : undefined;
  return { claimId, status: task.businessStatus?.coding?.[0]?.code ?? 'unknown', task, ...(response ? { response } : {}) };
}

/** The processing status of a claim (GET /fhir/Claim/{id}: a read of the gateway's own record). */
export async function processingStatus(conn: GatewayConnection, claimId: string): Promise<string> {
  const claim = (await gatewayCall(conn, 'GET', `/fhir/Claim/${encodeURIComponent(claimId)}`)).body as { extension?: Array<{ url?: string; valueCode?: string }> };
  return claim.extension?.find((e) => e.url === PROCESSING_STATUS_EXTENSION)?.valueCode ?? 'unknown';
}

/** How a wait goes. */
export interface WaitOptions {
  readonly timeoutMs: number;
  /** Called after each round with each claim's status. */
  readonly onRound?: (statuses: ReadonlyMap<string, string>) => void;
  readonly sleep?: (ms: number) => Promise<void>;
}

const FIRST_INTERVAL_MS = 300;
const LONGEST_INTERVAL_MS = 3000;

/**
 * Reads the claims' statuses until each is final or the time is up (1.5× longer pauses between rounds,
 * from 0.3 s up to 3 s). Returns each claim's last status.
 */
export async function waitForFinal(conn: GatewayConnection, claimIds: readonly string[], options: WaitOptions): Promise<Map<string, string>> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const statuses = new Map<string, string>(claimIds.map((id) => [id, 'unknown']));
  const deadline = Date.now() + options.timeoutMs;
  for (let interval = FIRST_INTERVAL_MS; ; interval = Math.min(interval * 1.5, LONGEST_INTERVAL_MS)) {
    for (const id of claimIds) {
      if (!FINAL_STATUSES.has(statuses.get(id)!)) statuses.set(id, await processingStatus(conn, id));
    }
    options.onRound?.(statuses);
    if ([...statuses.values()].every((s) => FINAL_STATUSES.has(s)) || Date.now() >= deadline) return statuses;
    await sleep(Math.min(interval, Math.max(0, deadline - Date.now())));
  }
}

/** The outcome, amount paid and disposition of a ClaimResponse, on one line. */
export function answerSummary(response: ClaimResponse, language: Language): string {
  const t = TEXTS[language];
  const paid = response.payment?.amount ?? response.total?.find((x) => x.category?.coding?.some((c) => c.code === 'benefit'))?.amount;
  const parts = [t.outcome(response.outcome ?? '?')];
  if (paid?.value !== undefined) parts.push(t.paid(`${paid.value}${paid.currency ? ` ${paid.currency}` : ''}`));
  const error = response.error?.map((e) => e.code?.coding?.[0]?.code).filter(Boolean).join(', ');
  if (error) parts.push(t.errors(error));
  return `${parts.join(', ')}${response.disposition ? `${t.colon}${response.disposition.replace(/\s*\n\s*/g, ' ')}` : ''}`;
}

const TEXTS: Readonly<Record<Language, { outcome(o: string): string; paid(amount: string): string; errors(codes: string): string; colon: string }>> = {
  en: { outcome: (o) => `outcome ${o}`, paid: (amount) => `paid ${amount}`, errors: (codes) => `errors ${codes}`, colon: ': ' },
  fr: { outcome: (o) => `résultat ${o}`, paid: (amount) => `payé ${amount}`, errors: (codes) => `erreurs ${codes}`, colon: ' : ' },
};
