-- The audit trail: a FHIR AuditEvent for every access (HTTP request, token request) and every claim
-- state change, with the participants allowed to read it. Ids only, never patient data.
create table audit_events (
  id uuid primary key,
  recorded timestamptz not null default now(),
  kind text not null check (kind in ('access', 'authentication', 'state')),
  agent text,                                   -- the participant who acted, when known
  entity text,                                  -- e.g. Claim/{id}
  outcome text not null,                        -- AuditEvent.outcome: 0, 4, 8, 12
  participants text[] not null default '{}',    -- who may read it besides operators
  resource json not null
);
create index audit_events_recorded on audit_events (recorded desc);
create index audit_events_participants on audit_events using gin (participants);
create index audit_events_entity on audit_events (entity);
