-- Retention: payloads of settled claims older than the retention period are purged. The claim row (ids,
-- routing, status, dates), its events and each response's outcome stay as the audit facts.
alter table claims alter column bundle drop not null;
alter table claims add column purged_at timestamptz;
alter table claim_responses alter column resource drop not null;
