-- Operators (the people running the gateway) as participants with the admin scope, and a count of
-- operator replays per claim: each replay gets its own queue job id, the insurer the same idempotency key.

alter table participants drop constraint participants_kind_check;
alter table participants add constraint participants_kind_check check (kind in ('provider', 'insurer', 'operator'));

alter table claims add column replays integer not null default 0;

create index claims_failed on claims (updated_at) where status = 'failed';
