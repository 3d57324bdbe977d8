-- Endpoint-wide polling: a provider fetches the answers waiting for it and acknowledges them; each
-- ClaimResponse has one recipient (its claim's provider), so the acknowledgement is kept on it.
alter table claim_responses add column acknowledged_at timestamptz;
create index claim_responses_unacknowledged on claim_responses (claim_id, created_at) where acknowledged_at is null;
