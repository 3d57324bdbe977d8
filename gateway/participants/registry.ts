/**
 * The participant registry: providers and insurers as FHIR Organizations, each with Endpoints for an
 * insurer's API and a provider's optional callback. Reads are cached briefly because every request
 * resolves its caller and its claim's insurer here.
 */
import type { Endpoint, Organization } from '@medplum/fhirtypes';
import type { Database, Queryable } from '../store/database.js';
import type { PackScheduleEntry } from '../validation/packs.js';
import type { EligibilitySettings } from '../eligibility/settings.js';

/** Identifier system of participants, in claims and in tokens. */
export const PARTICIPANT_SYSTEM = 'urn:passerelle:participant';

export type ParticipantKind = 'provider' | 'insurer' | 'operator';

/** A registered participant as the pipeline uses it. */
export interface Participant {
  readonly id: string;
  readonly kind: ParticipantKind;
  readonly name: string;
  readonly status: 'active' | 'suspended';
  readonly organization: Organization;
  readonly endpoints: Endpoint[];
  /** Insurers: the adapter (mappings/) and its settings. */
  readonly adapter?: string;
  readonly adapterSettings: Readonly<Record<string, unknown>>;
  /** Providers: callback URL for pushed ClaimResponses and the HMAC key that signs them. */
  readonly callbackUrl?: string;
  readonly callbackSecret?: string;
  /** Insurers: how hard the gateway may press them. */
  readonly delivery: DeliverySettings;
  /** Insurers: their profile pack versions and when each takes effect (the base pack applies to all). */
  readonly profilePacks: readonly PackScheduleEntry[];
  /** Own limits; unset values fall back to the gateway's defaults. */
  readonly limits: ParticipantLimitSettings;
  /** Pushes to this participant are encrypted to its registered "enc" key. */
  readonly encryptPayloads: boolean;
  /** Insurers: how their member registry is reached; undefined when eligibility is not checked. */
  readonly eligibility?: EligibilitySettings;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** Per-participant limits on the API. */
export interface ParticipantLimitSettings {
  readonly requestsPerMinute?: number;
  readonly maxBodyBytes?: number;
  readonly maxBundleEntries?: number;
}

/** Per-insurer delivery limits; unset values fall back to the gateway's configuration. */
export interface DeliverySettings {
  /** Deliveries in flight at once per worker process. */
  readonly concurrency?: number;
  /** Deliveries started per second, across all worker processes. */
  readonly maxPerSecond?: number;
  /** A claim without this insurer's answer after this long is flagged stuck (else ANSWER_DEADLINE_MS). */
  readonly answerDeadlineMinutes?: number;
  /** How often a repeatable job asks the insurer for its answers (insurers that never notify: openIMIS, reply files). */
  readonly pollIntervalSeconds?: number;
}

/** What an operator or a seed file gives to register a participant. */
export interface ParticipantInput {
  readonly id: string;
  readonly kind: ParticipantKind;
  readonly name: string;
  readonly status?: 'active' | 'suspended';
  readonly adapter?: string;
  readonly adapterSettings?: Record<string, unknown>;
  readonly callbackUrl?: string;
  readonly callbackSecret?: string;
  readonly delivery?: DeliverySettings;
  readonly profilePacks?: readonly PackScheduleEntry[];
  readonly limits?: ParticipantLimitSettings;
  readonly encryptPayloads?: boolean;
  readonly eligibility?: EligibilitySettings;
}

interface ParticipantRow {
  id: string;
  kind: ParticipantKind;
  name: string;
  status: 'active' | 'suspended';
  organization: Organization;
  endpoints: Endpoint[];
  adapter: string | null;
  adapter_settings: Record<string, unknown>;
  callback_secret: string | null;
  delivery_settings: DeliverySettings;
  profile_packs: PackScheduleEntry[];
  limits: ParticipantLimitSettings;
  encrypt_payloads: boolean;
  eligibility: EligibilitySettings | Record<string, never>;
  created_at: Date;
  updated_at: Date;
}

const CACHE_MS = 5000;

/** Reads and writes participants. */
export class ParticipantRegistry {
  private readonly cache = new Map<string, { at: number; value: Participant | undefined }>();

  constructor(private readonly db: Database) {}

  /** The participant with this id, or undefined. */
  async get(id: string): Promise<Participant | undefined> {
    const hit = this.cache.get(id);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.value;
    const { rows } = await this.db.query<ParticipantRow>('select * from participants where id = $1', [id]);
    const value = rows[0] ? fromRow(rows[0]) : undefined;
    this.cache.set(id, { at: Date.now(), value });
    return value;
  }

  /** Every insurer, active or not (workers exist per insurer queue). */
  async insurers(): Promise<Participant[]> {
    const { rows } = await this.db.query<ParticipantRow>(`select * from participants where kind = 'insurer' order by id`);
    return rows.map(fromRow);
  }

  /** Every participant, by id. */
  async list(): Promise<Participant[]> {
    const { rows } = await this.db.query<ParticipantRow>('select * from participants order by id');
    return rows.map(fromRow);
  }

  /** Suspends or reactivates a participant (its Organization.active follows); false when unknown. */
  async setStatus(id: string, status: 'active' | 'suspended'): Promise<boolean> {
    const { rows } = await this.db.query<{ id: string }>(
      `update participants set status = $2, organization = jsonb_set(organization, '{active}', to_jsonb($2 = 'active')), updated_at = now()
       where id = $1 returning id`, [id, status]);
    this.cache.delete(id);
    return rows.length === 1;
  }

  /** Creates or updates a participant from its registration. */
  async upsert(input: ParticipantInput, tx: Queryable = this.db): Promise<void> {
    const endpoints = endpointsFor(input);
    const organization = organizationFor(input, endpoints);
    await tx.query(
      `insert into participants (id, kind, name, status, organization, endpoints, adapter, adapter_settings, callback_secret, delivery_settings, profile_packs, limits, encrypt_payloads, eligibility)
       values ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8::jsonb, $9, $10::jsonb, $11::jsonb, $12::jsonb, $13, $14::jsonb)
       on conflict (id) do update set kind = excluded.kind, name = excluded.name, status = excluded.status,
         organization = excluded.organization, endpoints = excluded.endpoints, adapter = excluded.adapter,
         adapter_settings = excluded.adapter_settings, callback_secret = excluded.callback_secret,
         delivery_settings = excluded.delivery_settings, profile_packs = excluded.profile_packs, limits = excluded.limits,
         encrypt_payloads = excluded.encrypt_payloads, eligibility = excluded.eligibility, updated_at = now()`,
      [input.id, input.kind, input.name, input.status ?? 'active', JSON.stringify(organization), JSON.stringify(endpoints),
        input.adapter ?? null, JSON.stringify(input.adapterSettings ?? {}), input.callbackSecret ?? null, JSON.stringify(input.delivery ?? {}), JSON.stringify(input.profilePacks ?? []), JSON.stringify(input.limits ?? {}), input.encryptPayloads ?? false, JSON.stringify(input.eligibility ?? {})],
    );
    this.cache.delete(input.id);
  }
}

function fromRow(row: ParticipantRow): Participant {
  const callback = row.endpoints.find((e) => e.id === `${row.id}-callback`);
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    status: row.status,
    organization: row.organization,
    endpoints: row.endpoints,
    adapter: row.adapter ?? undefined,
    adapterSettings: row.adapter_settings,
    callbackUrl: callback?.address,
    callbackSecret: row.callback_secret ?? undefined,
    delivery: row.delivery_settings ?? {},
    profilePacks: row.profile_packs ?? [],
    limits: row.limits ?? {},
    encryptPayloads: row.encrypt_payloads ?? false,
    eligibility: row.eligibility && 'mode' in row.eligibility ? (row.eligibility as EligibilitySettings) : undefined,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function endpointsFor(input: ParticipantInput): Endpoint[] {
  const endpoints: Endpoint[] = [];
  const fhirRest = { system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type', code: 'hl7-fhir-rest' };
  const baseUrl = input.adapterSettings?.baseUrl;
  if (input.kind === 'insurer' && typeof baseUrl === 'string') {
    endpoints.push({
      resourceType: 'Endpoint', id: `${input.id}-api`, status: 'active', connectionType: fhirRest, name: `${input.name} API`,
      payloadType: [{ text: 'FHIR Claim bundles' }], address: baseUrl,
    });
  }
  if (input.callbackUrl) {
    endpoints.push({
      resourceType: 'Endpoint', id: `${input.id}-callback`, status: 'active', connectionType: fhirRest,
      name: `${input.name} callback`, payloadType: [{ text: 'ClaimResponse' }], address: input.callbackUrl,
    });
  }
  return endpoints;
}

/** organization-type codes: providers, insurers, and the operating body (a government agency: "govt"). */
const ORGANIZATION_TYPE: Readonly<Record<ParticipantKind, string>> = { provider: 'prov', insurer: 'ins', operator: 'govt' };

function organizationFor(input: ParticipantInput, endpoints: Endpoint[]): Organization {
  return {
    resourceType: 'Organization',
    id: input.id,
    identifier: [{ system: PARTICIPANT_SYSTEM, value: input.id }],
    active: (input.status ?? 'active') === 'active',
    type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/organization-type', code: ORGANIZATION_TYPE[input.kind] }] }],
    name: input.name,
    endpoint: endpoints.map((e) => ({ reference: `Endpoint/${e.id}` })),
  };
}
