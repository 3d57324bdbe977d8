-- Polling gives providers the final answers of eligibility requests first answered "queued" (the
-- others were answered in the request itself); each is acknowledged on its request.
alter table eligibility_requests add column response_acknowledged_at timestamptz;
create index eligibility_requests_unacknowledged on eligibility_requests (provider_id, answered_at)
  where queued_response_id is not null and response is not null and response_acknowledged_at is null;
