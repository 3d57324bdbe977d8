/**
 * The rest of a claim's conversation, free of HTTP: an insurer's information request
 * (CommunicationRequest) and the provider's answer (Communication), an insurer's payment
 * (PaymentReconciliation) and its notice (PaymentNotice). Each names the claims it is about by their
 * gateway ids; the gateway checks the sender is a party to every one of them, finds the other party (the
 * recipient), stores it, and pushes it: to a provider's callback, to an insurer through its adapter.
 * Either may also poll for it (mailbox.ts). A participant that may not see a claim is told nothing of it.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Communication, CommunicationRequest, OperationOutcomeIssue, PaymentNotice, PaymentReconciliation, Reference, Resource } from '@medplum/fhirtypes';
import type { Caller } from '../auth/tokens.js';
import { canSee } from '../claims/claim-service.js';
import type { ClaimRecord, ClaimRepository } from '../claims/claim-repository.js';
import { gatewayError, invalid, issue, notFound } from '../fhir/outcomes.js';
import { referencedId } from '../fhir/references.js';
import type { Logger } from '../logger.js';
import type { OutboxDispatcher, OutboxMessage } from '../queue/outbox.js';
import { PARTICIPANT_SYSTEM, type Participant, type ParticipantRegistry } from '../participants/registry.js';
import { hasErrors } from '../validation/validators.js';
import type { Language } from '../validation/rules.js';
import { exchangePushJob, insurerExchangeJob } from '../../workers/jobs.js';
import { ExchangeRepository, type ExchangeRecord, type ExchangeType } from './exchange-repository.js';

export interface ExchangeServiceDeps {
  readonly exchanges: ExchangeRepository;
  readonly claims: ClaimRepository;
  readonly registry: ParticipantRegistry;
  readonly outbox: OutboxDispatcher;
  readonly logger: Logger;
  /** Validates a resource against the base profiles and the packs in force for the claims' insurer. */
  readonly validate: (resource: Record<string, unknown>, insurer: Participant | undefined, language: Language) => OperationOutcomeIssue[];
  /** Whether this insurer's adapter can push an exchange to it (sendExchange); otherwise it polls. */
  readonly pushesToInsurer: (insurer: Participant) => boolean;
}

/** Who sends each kind of exchange, and what its arrival is called in the claims' history. */
const EXCHANGES: Readonly<Record<ExchangeType, { sender: 'provider' | 'insurer'; event: string }>> = {
  CommunicationRequest: { sender: 'insurer', event: 'information-requested' },
  Communication: { sender: 'provider', event: 'information-sent' },
  PaymentReconciliation: { sender: 'insurer', event: 'payment-reconciled' },
  PaymentNotice: { sender: 'insurer', event: 'payment-notified' },
};

/** A claim reference found in a resource, with where it was. */
interface ClaimMention {
  readonly claimId: string | undefined;
  readonly expression: string;
}

export class ExchangeService {
  constructor(private readonly deps: ExchangeServiceDeps) {}

  /**
   * Receives an exchange from one party of its claims, for the other. Answers the stored resource, and
   * whether it is new (the same resource sent twice is taken once).
   */
  async receive(type: ExchangeType, body: Record<string, unknown>, caller: Caller, language: Language): Promise<{ record: ExchangeRecord; created: boolean }> {
    if (body.resourceType !== type) {
      throw gatewayError('resource-type', { en: `Expected a ${type}, got ${typeof body.resourceType === 'string' ? body.resourceType.slice(0, 64) : 'no resourceType'}`, fr: `Une ressource ${type} est attendue ; reçu : ${typeof body.resourceType === 'string' ? body.resourceType.slice(0, 64) : 'aucun resourceType'}` }, 'resourceType');
    }
    const spec = EXCHANGES[type];
    if (caller.kind !== spec.sender) throw gatewayError('insufficient-scope', { en: `A ${type} is sent by ${spec.sender === 'insurer' ? 'an insurer' : 'a provider'}`, fr: `Une ressource ${type} est envoyée par ${spec.sender === 'insurer' ? 'un assureur' : 'un prestataire de soins'}` });
    // Who may send what about which claim is settled first: a stranger learns nothing from validation messages.
    const { mentions, linked } = await this.mentions(type, body, caller);
    const claims = await this.partyClaims(mentions, caller, type);
    const recipientIds = [...new Set(claims.map((c) => (caller.kind === 'provider' ? c.insurerId : c.providerId)))];
    if (recipientIds.length > 1) {
      throw gatewayError('exchange-mixed-recipients', { en: `A ${type} goes to one participant: its claims are with ${recipientIds.join(', ')}; send one each`, fr: `Une ressource ${type} va à un seul participant : ses demandes relèvent de ${recipientIds.join(', ')} ; envoyez-en une à chacun` }, mentions[0]!.expression);
    }
    const recipient = await this.deps.registry.get(recipientIds[0]!);
    if (!recipient) throw gatewayError('exchange-claim-unknown', { en: `The participant ${recipientIds[0]} of these claims is no longer registered`, fr: `Le participant ${recipientIds[0]} de ces demandes n'est plus enregistré` }, mentions[0]!.expression);
    const insurer = caller.kind === 'insurer' ? await this.deps.registry.get(caller.participantId) : recipient;
    const issues = this.deps.validate(body, insurer, language);
    if (hasErrors(issues)) throw invalid(issues);
    if (type === 'PaymentReconciliation') checkPaymentTotal(body as unknown as PaymentReconciliation);

    const id = randomUUID();
    const resource = routed(type, { ...body, id, meta: { lastUpdated: new Date().toISOString() } } as Resource & { id: string },
      { sender: caller.participantId, recipient: recipient.id }, linked);
    const contentHash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    const jobs = (exchangeId: string): OutboxMessage[] => {
      if (recipient.kind === 'provider') return recipient.callbackUrl ? [exchangePushJob(exchangeId)] : [];
      return this.deps.pushesToInsurer(recipient) ? [insurerExchangeJob(exchangeId, recipient.id)] : [];
    };
    const claimIds = [...new Set(claims.map((c) => c.id))];
    const result = await this.deps.exchanges.record(
      { id, resourceType: type, senderId: caller.participantId, recipientId: recipient.id, contentHash, resource, claimIds, event: spec.event }, jobs);
    if (result.created) {
      this.deps.logger.info({ exchangeId: id, resourceType: type, sender: caller.participantId, recipient: recipient.id, claims: claimIds }, 'exchange received');
      this.deps.outbox.dispatchSoon(jobs(id));
    }
    return result;
  }

  /** An exchange its sender or recipient may read; otherwise 404. */
  async read(type: ExchangeType, id: string, caller: Caller): Promise<Resource & { id: string }> {
    const record = await this.deps.exchanges.get(id);
    if (!record || record.resourceType !== type || !isParty(caller, record)) throw notFound(type, id);
    if (!record.resource) throw gatewayError('purged', { en: `The data of ${type}/${id} was purged after the retention period`, fr: `Les données de ${type}/${id} ont été purgées à l'issue de la durée de conservation` });
    return record.resource;
  }

  /** The exchanges of a type about a claim the caller may see (none for a claim it may not see: no leak by search). */
  async aboutClaim(type: ExchangeType, claimId: string, caller: Caller): Promise<Array<Resource & { id: string }>> {
    const claim = await this.deps.claims.get(claimId);
    if (!claim || !canSee(caller, claim)) return [];
    const records = await this.deps.exchanges.aboutClaim(claimId, type);
    return records.filter((r) => isParty(caller, r) && r.resource).map((r) => r.resource!);
  }

  /** The claims a resource names, and the earlier exchanges it answers (a request, a reconciliation). */
  private async mentions(type: ExchangeType, body: Record<string, unknown>, caller: Caller): Promise<{ mentions: ClaimMention[]; linked: ExchangeRecord[] }> {
    const claimRefs = (refs: unknown, path: string): ClaimMention[] =>
      (Array.isArray(refs) ? refs as Reference[] : []).map((r, i) => ({ expression: `${path}[${i}]`, reference: r?.reference }))
        .filter((m) => typeof m.reference === 'string' && /(?:^|\/)Claim\//.test(m.reference))
        .map((m) => ({ claimId: referencedId(m.reference, 'Claim'), expression: m.expression }));
    const linked: ExchangeRecord[] = [];
    const earlier = async (reference: unknown, linkedType: ExchangeType, expression: string, from: 'sent' | 'received'): Promise<ClaimMention[]> => {
      const id = referencedId(reference, linkedType);
      const record = id ? await this.deps.exchanges.get(id) : undefined;
      const party = from === 'sent' ? record?.senderId : record?.recipientId;
      if (!record || record.resourceType !== linkedType || party !== caller.participantId) {
        throw gatewayError('exchange-reference-unknown', { en: `${expression} must reference a ${linkedType} the gateway ${from === 'sent' ? 'took from you' : 'gave you'}: ${linkedType}/{id}`, fr: `${expression} doit référencer une ressource ${linkedType} que la passerelle ${from === 'sent' ? 'a reçue de vous' : 'vous a remise'} : ${linkedType}/{id}` }, expression);
      }
      linked.push(record);
      return record.claimIds.map((claimId) => ({ claimId, expression }));
    };
    let mentions: ClaimMention[];
    switch (type) {
      case 'CommunicationRequest':
        mentions = claimRefs((body as unknown as CommunicationRequest).about, `${type}.about`);
        break;
      case 'Communication': {
        const basedOn = ((body as unknown as Communication).basedOn ?? []).filter((r) => /(?:^|\/)CommunicationRequest\//.test(r?.reference ?? ''));
        mentions = claimRefs((body as unknown as Communication).about, `${type}.about`);
        for (const [i, ref] of basedOn.entries()) mentions.push(...await earlier(ref.reference, 'CommunicationRequest', `${type}.basedOn[${i}]`, 'received'));
        break;
      }
      case 'PaymentReconciliation':
        mentions = ((body as unknown as PaymentReconciliation).detail ?? []).flatMap((d, i) => claimRefs(d?.request ? [d.request] : [], `${type}.detail[${i}].request`));
        break;
      case 'PaymentNotice': {
        const notice = body as unknown as PaymentNotice;
        mentions = claimRefs(notice.request ? [notice.request] : [], `${type}.request`);
        mentions.push(...await earlier(notice.payment?.reference, 'PaymentReconciliation', `${type}.payment`, 'sent'));
        break;
      }
    }
    if (mentions.length === 0) {
      const where = { CommunicationRequest: 'about', Communication: 'about (or basedOn a CommunicationRequest)', PaymentReconciliation: 'detail.request', PaymentNotice: 'request or payment' }[type];
      const whereFr = { CommunicationRequest: 'about', Communication: 'about (ou basedOn une CommunicationRequest)', PaymentReconciliation: 'detail.request', PaymentNotice: 'request ou payment' }[type];
      throw gatewayError('exchange-claim-unknown', { en: `A ${type} names the claims it is about in ${where}: Claim/{id}, the gateway's claim id`, fr: `Une ressource ${type} désigne les demandes qu'elle concerne dans ${whereFr} : Claim/{id}, l'id de la demande sur la passerelle` }, type);
    }
    return { mentions, linked };
  }

  /** The claims mentioned, each one the caller is a party to; the same refusal whether a claim is unknown or someone else's. */
  private async partyClaims(mentions: readonly ClaimMention[], caller: Caller, type: ExchangeType): Promise<ClaimRecord[]> {
    const claims: ClaimRecord[] = [];
    for (const mention of mentions) {
      const claim = mention.claimId ? await this.deps.claims.get(mention.claimId) : undefined;
      if (!claim || !canSee(caller, claim)) {
        throw gatewayError('exchange-claim-unknown', { en: `${mention.expression} names no claim of yours: a ${type} is about claims you ${caller.kind === 'provider' ? 'submitted' : 'received'} (Claim/{id}, the gateway's id)`, fr: `${mention.expression} ne désigne aucune de vos demandes : une ressource ${type} concerne des demandes que vous avez ${caller.kind === 'provider' ? 'soumises' : 'reçues'} (Claim/{id}, l'id sur la passerelle)` }, mention.expression);
      }
      claims.push(claim);
    }
    return claims;
  }
}

function isParty(caller: Caller, record: ExchangeRecord): boolean {
  return caller.participantId === record.senderId || caller.participantId === record.recipientId;
}

const participant = (id: string): Reference<never> => ({ identifier: { system: PARTICIPANT_SYSTEM, value: id } });

/**
 * The resource as the gateway serves it: its parties named by their participant identifiers (the
 * gateway's word, whatever the sender wrote), and a Communication's request pointed at the gateway's id
 * with the insurer's own identifier of it beside, so both ends recognise it.
 */
function routed(type: ExchangeType, resource: Resource & { id: string }, parties: { sender: string; recipient: string }, linked: readonly ExchangeRecord[]): Resource & { id: string } {
  switch (type) {
    case 'CommunicationRequest':
      return { ...(resource as CommunicationRequest & { id: string }), requester: participant(parties.sender), recipient: [participant(parties.recipient)] };
    case 'Communication': {
      const communication = resource as Communication & { id: string };
      const basedOn = (communication.basedOn ?? []).map((ref) => {
        const request = linked.find((l) => l.id === referencedId(ref.reference, 'CommunicationRequest'));
        const identifier = (request?.resource as CommunicationRequest | undefined)?.identifier?.[0];
        return request ? { reference: `CommunicationRequest/${request.id}`, ...(identifier ? { identifier } : {}) } : ref;
      });
      return { ...communication, ...(basedOn.length > 0 ? { basedOn } : {}), sender: participant(parties.sender), recipient: [participant(parties.recipient)] };
    }
    case 'PaymentReconciliation':
      return { ...(resource as PaymentReconciliation & { id: string }), paymentIssuer: participant(parties.sender), requestor: participant(parties.recipient) };
    case 'PaymentNotice':
      return { ...(resource as PaymentNotice & { id: string }), recipient: participant(parties.recipient), payee: (resource as PaymentNotice).payee ?? participant(parties.recipient) };
  }
}

/** A reconciliation whose details all give an amount must add up to its payment amount, in its currency. */
function checkPaymentTotal(payment: PaymentReconciliation): void {
  const details = payment.detail ?? [];
  if (details.length === 0 || details.some((d) => typeof d.amount?.value !== 'number')) return;
  const currency = payment.paymentAmount?.currency;
  const other = details.findIndex((d) => d.amount?.currency && currency && d.amount.currency !== currency);
  if (other >= 0) {
    throw invalid([issue({ error: 'payment-amount-mismatch', expression: `PaymentReconciliation.detail[${other}].amount.currency`, message: { en: `Every detail is in the payment's currency (${currency})`, fr: `Chaque détail doit être dans la devise du paiement (${currency})` } })]);
  }
  // Amounts in minor units avoid float sums (XOF has none, but other currencies have cents).
  const sum = details.reduce((s, d) => s + Math.round(d.amount!.value! * 100), 0);
  const paid = Math.round((payment.paymentAmount?.value ?? 0) * 100);
  if (sum !== paid) {
    throw invalid([issue({ error: 'payment-amount-mismatch', expression: 'PaymentReconciliation.paymentAmount', message: { en: `The details add up to ${sum / 100} ${currency ?? ''}, not the payment amount ${paid / 100}`.replace(/ {2}/, ' '), fr: `Les détails totalisent ${sum / 100} ${currency ?? ''}, et non le montant du paiement ${paid / 100}`.replace(/ {2}/, ' ') } })]);
  }
}
