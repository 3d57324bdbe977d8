-- Claim watch: when a claim was flagged stuck (no insurer answer past its insurer's deadline), and when
-- a pended claim was last polled at its insurer.
alter table claims add column stuck_since timestamptz;
alter table claims add column polled_at timestamptz;
create index claims_unsettled on claims (created_at) where status in ('accepted', 'queued', 'pended');
