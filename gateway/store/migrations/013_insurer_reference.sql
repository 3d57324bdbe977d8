-- The insurer's own id for a claim (openIMIS's claim uuid, an IPM's file number), when its answer to
-- the delivery gave one: handed back to the adapter when the claim is polled.
alter table claims add column insurer_reference text;
create index claims_pended_by_insurer on claims (insurer_id, coalesce(polled_at, updated_at)) where status = 'pended';
