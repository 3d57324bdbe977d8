/**
 * The mapping adapter: insurers without FHIR (IPMs and mutuelles with a home-grown JSON API or CSV
 * batch files), each described by a declarative mapping spec its settings name. The spec says what
 * the claim becomes, how the answer reads back as a ClaimResponse, and the transport: http-json (one
 * request per claim) or csv-batch (claims staged, then sent in batch files; replies read from files).
 */
import type { ClaimResponse } from '@medplum/fhirtypes';
import {
  MappingError, type ClaimCheck, type ClaimDelivery, type ClaimQuery, type DeliveryResult, type InsurerAdapter, type InsurerQuery,
  type MappingIssue, type PendingResponses,
} from '../adapter.js';
import { mappingSettings, type MappingSettings } from './adapter-settings.js';
import { claimEnvironment } from './claim-environment.js';
import { readReplies } from './csv-batch-in.js';
import { sendBatch, stageClaim } from './csv-batch-out.js';
import { fetchOverHttp, submitOverHttp } from './http-transport.js';
import { mapClaim } from './map-claim.js';
import { translatedElement } from '../../gateway/fhir/outcomes.js';

/** A stand-in for the claim id at submission, before the gateway gives one (the same shape: a UUID). */
const UNASSIGNED_CLAIM_ID = '00000000-0000-0000-0000-000000000000';

/**
 * Creates the mapping adapter. defaultTimeoutMs applies to HTTP insurers whose settings set none;
 * mappingsDir is where relative spec refs are found (default: the mappings/ folder of this build).
 */
export function mappingAdapter(options: { defaultTimeoutMs: number; mappingsDir?: string }): InsurerAdapter {
  const settingsOf = (raw: Readonly<Record<string, unknown>>): MappingSettings => mappingSettings(raw, options.mappingsDir);
  return {
    name: 'mapping',
    checkSettings: (settings) => void settingsOf(settings),
    // Batch insurers answer in reply files the gateway must go and read.
    answersByPolling: (settings) => settingsOf(settings).kind === 'csv-batch',
    async checkClaim(check: ClaimCheck): Promise<readonly MappingIssue[]> {
      const { spec } = settingsOf(check.settings);
      return mapClaim(spec, check.bundle, { claimId: UNASSIGNED_CLAIM_ID, providerId: check.providerId, insurerId: check.insurerId, settings: check.settings }).issues;
    },
    async submitClaim(delivery: ClaimDelivery): Promise<DeliveryResult> {
      const settings = settingsOf(delivery.settings);
      const { spec } = settings;
      const context = { claimId: delivery.claimId, providerId: delivery.providerId, insurerId: delivery.insurerId, settings: delivery.settings };
      const { record, issues } = mapClaim(spec, delivery.bundle, context);
      if (issues.length > 0) throw new MappingError(issues);
      const { claim } = claimEnvironment(delivery.bundle, context);
      if (settings.kind === 'http-json') {
        return submitOverHttp(settings, record, {
          claimId: delivery.claimId, claim, idempotencyKey: delivery.idempotencyKey, defaultTimeoutMs: options.defaultTimeoutMs, signal: delivery.signal,
        });
      }
      await stageClaim(spec, settings.folder, delivery.claimId, record, claim);
      return { kind: 'answered', claimResponse: setAside(claim, spec.insurerName) };
    },
    async sendBatch(query: InsurerQuery): Promise<number> {
      const settings = settingsOf(query.settings);
      return settings.kind === 'csv-batch' ? sendBatch(settings.spec, settings.folder) : 0;
    },
    async fetchPendingResponses(query: InsurerQuery): Promise<PendingResponses> {
      const settings = settingsOf(query.settings);
      if (settings.kind !== 'csv-batch') return { answers: [], problems: [], acknowledge: async () => undefined };
      return readReplies(settings.spec, settings.folder);
    },
    async fetchClaimResponse(query: ClaimQuery): Promise<ClaimResponse | undefined> {
      const settings = settingsOf(query.settings);
      // A batch insurer cannot be asked: its answers come in its reply files.
      if (settings.kind !== 'http-json') return undefined;
      const { claim } = claimEnvironment(query.bundle, { claimId: query.claimId, providerId: '', insurerId: query.insurerId, settings: query.settings });
      return fetchOverHttp(settings, { claimId: query.claimId, claim, defaultTimeoutMs: options.defaultTimeoutMs, signal: query.signal });
    },
  };
}

/** The answer to a claim staged for the next batch file: taken, to be answered later. */
function setAside(claim: ReturnType<typeof claimEnvironment>['claim'], insurerName: string): ClaimResponse {
  return {
    resourceType: 'ClaimResponse', status: 'active', type: claim.type, use: claim.use ?? 'claim', patient: claim.patient,
    created: new Date().toISOString(), outcome: 'queued',
    ...translatedElement('disposition', { en: `Set aside for the next batch file to ${insurerName}.`, fr: `Mise de côté pour le prochain fichier de lot vers ${insurerName}.` }),
  } as unknown as ClaimResponse; // insurer is set by the gateway when it records the answer
}
