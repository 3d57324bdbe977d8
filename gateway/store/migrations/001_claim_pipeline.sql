-- The claim pipeline's system of record: participants and their OAuth clients, claims with their state
-- history and every response, idempotency keys, and the transactional outbox that feeds the queues.

create table participants (
  id text primary key,                          -- identifier value under urn:passerelle:participant
  kind text not null check (kind in ('provider', 'insurer')),
  name text not null,
  status text not null default 'active' check (status in ('active', 'suspended')),
  organization jsonb not null,                  -- FHIR Organization
  endpoints jsonb not null default '[]',        -- FHIR Endpoint[]: insurer API, provider callback
  adapter text,                                 -- insurer adapter name (mappings/)
  adapter_settings jsonb not null default '{}',
  callback_secret text,                         -- HMAC key for pushes to the provider's callback
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table oauth_clients (
  client_id text primary key,
  participant_id text not null references participants (id),
  secret_hash text not null,                    -- scrypt, never the secret itself
  scopes text not null,                         -- space-separated
  status text not null default 'active' check (status in ('active', 'disabled')),
  created_at timestamptz not null default now()
);

create table gateway_settings (                -- created on first start: deployment id, token key
  key text primary key,
  value text not null,
  created_at timestamptz not null default now()
);

create table claims (
  id uuid primary key,                          -- the gateway's Claim id
  provider_id text not null references participants (id),
  insurer_id text not null references participants (id),
  identifier_system text not null,
  identifier_value text not null,
  status text not null check (status in ('accepted', 'queued', 'pended', 'complete', 'partial', 'error', 'failed')),
  bundle json not null,                         -- json, not jsonb: keeps the resources as received
  accepted_response_id uuid not null,
  attempts integer not null default 0,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (provider_id, identifier_system, identifier_value)
);
create index claims_insurer_created on claims (insurer_id, created_at);
create index claims_provider_created on claims (provider_id, created_at);

create table claim_events (
  id bigserial primary key,
  claim_id uuid not null references claims (id),
  status text not null,
  detail jsonb,
  at timestamptz not null default now()
);
create index claim_events_claim on claim_events (claim_id, id);

create table claim_responses (
  id uuid primary key,
  claim_id uuid not null references claims (id),
  source text not null check (source in ('gateway', 'insurer')),
  content_hash text,                            -- sha256 of an insurer answer as received, to absorb resends
  outcome text not null,
  resource json not null,
  created_at timestamptz not null default now(),
  unique (claim_id, source, content_hash)
);
create index claim_responses_claim on claim_responses (claim_id, created_at);

create table idempotency_keys (
  participant_id text not null,
  key text not null,
  request_hash text not null,
  state text not null check (state in ('in_flight', 'done')),
  response_status integer,
  response_headers jsonb,
  response_body json,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (participant_id, key)
);

create table outbox (
  id bigserial primary key,
  queue text not null,
  job_name text not null,
  job_id text not null unique,
  payload jsonb not null,                       -- ids only, never patient data
  created_at timestamptz not null default now(),
  dispatched_at timestamptz
);
create index outbox_pending on outbox (created_at) where dispatched_at is null;
