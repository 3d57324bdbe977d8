-- Eligibility (docs/eligibility.md): how each insurer's registry is reached, the synced copy of the
-- registries of insurers without a live API, the state of their imports and incremental syncs, and the
-- eligibility requests providers made (answered at once or queued past the answer budget).

-- {"mode": "live" | "synced", "memberSystem": "...", "policy": "reject" | "warn", ...}; {} = no eligibility.
alter table participants add column eligibility jsonb not null default '{}';

-- One row per coverage of a member, as the insurer's roster or FHIR API gave it. Never deleted: a
-- coverage missing from a full re-import is ended (status 'ended', period cut at the import's eve).
create table registry_coverages (
  insurer_id text not null references participants (id),
  coverage_id text not null,                    -- the insurer's id of this coverage
  member_system text not null,
  member_id text not null,                      -- member number under member_system
  subscriber_id text,                           -- the principal member, for dependants
  relationship text,                            -- subscriber-relationship code: self, spouse, child, …
  plan text,
  status text not null check (status in ('active', 'cancelled', 'ended')),
  period_start date,
  period_end date,
  source text not null check (source in ('import', 'sync')),
  import_id bigint,                             -- the last import that listed it
  ended_at timestamptz,
  updated_at timestamptz not null default now(),
  primary key (insurer_id, coverage_id)
);
create index registry_coverages_member on registry_coverages (insurer_id, member_id);

create table registry_imports (
  id bigserial primary key,
  insurer_id text not null references participants (id),
  mode text not null check (mode in ('full', 'delta')),
  format text not null check (format in ('ndjson', 'csv')),
  source_name text,
  status text not null check (status in ('running', 'done', 'failed')),
  rows_read bigint not null default 0,
  imported bigint not null default 0,
  invalid bigint not null default 0,
  ended bigint not null default 0,
  error text,
  started_at timestamptz not null default now(),
  finished_at timestamptz
);

create table registry_sync_state (
  insurer_id text primary key references participants (id),
  cursor timestamptz,                           -- greatest Coverage meta.lastUpdated pulled so far
  last_run_at timestamptz,
  last_pulled integer not null default 0,
  last_error text
);

create table eligibility_requests (
  id uuid primary key,                          -- the gateway's CoverageEligibilityRequest id
  provider_id text not null references participants (id),
  insurer_id text not null references participants (id),
  mode text not null check (mode in ('live', 'synced')),
  status text not null check (status in ('queued', 'complete', 'error')),
  request json not null,                        -- collection Bundle led by the request (json: kept as sent)
  queued_response_id uuid unique,               -- the "queued" answer given past the budget
  queued_response json,
  response_id uuid unique,                      -- the final CoverageEligibilityResponse
  response json,
  created_at timestamptz not null default now(),
  answered_at timestamptz
);
create index eligibility_requests_provider on eligibility_requests (provider_id, created_at);
create index eligibility_requests_queued on eligibility_requests (created_at) where status = 'queued';

-- Jobs added with a delay (the eligibility check that follows a "queued" answer).
alter table outbox add column delay_ms integer;

-- Providers registered before eligibility existed get its scopes.
update oauth_clients set scopes = scopes || ' system/CoverageEligibilityRequest.write system/CoverageEligibilityResponse.read'
where participant_id in (select id from participants where kind = 'provider') and scopes like '%system/Claim.write%'
  and scopes not like '%CoverageEligibilityRequest%';
update oauth_clients set scopes = scopes || ' system/CoverageEligibilityResponse.read'
where participant_id in (select id from participants where kind = 'insurer') and scopes like '%system/ClaimResponse.write%'
  and scopes not like '%CoverageEligibilityResponse%';
