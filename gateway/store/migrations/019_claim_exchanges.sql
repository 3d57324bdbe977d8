-- The rest of a claim's conversation besides the claim and its ClaimResponses: the insurer's information
-- requests (CommunicationRequest), the provider's answers (Communication), and the insurer's payments
-- (PaymentReconciliation, PaymentNotice). Each has one sender and one recipient (the two parties of the
-- claims it is about) and reaches the recipient by push (provider callback, insurer adapter) and by
-- polling until acknowledged, like ClaimResponses.
create table claim_exchanges (
  id uuid primary key,                          -- the gateway's id of the resource
  resource_type text not null check (resource_type in ('CommunicationRequest', 'Communication', 'PaymentReconciliation', 'PaymentNotice')),
  sender_id text not null references participants (id),
  recipient_id text not null references participants (id),
  content_hash text not null,                   -- the same resource posted twice is taken once
  resource json,                                -- null once purged after the retention period
  purged_at timestamptz,
  acknowledged_at timestamptz,                  -- acknowledged by its recipient ($poll-ack)
  delivered_at timestamptz,                     -- pushed to the recipient (callback or insurer adapter)
  last_error text,                              -- the last failed push, ids and statuses only
  created_at timestamptz not null default now(),
  unique (sender_id, resource_type, content_hash)
);
create index claim_exchanges_waiting on claim_exchanges (recipient_id, created_at) where acknowledged_at is null;

-- The claims each exchange is about (a reconciliation settles many).
create table claim_exchange_claims (
  exchange_id uuid not null references claim_exchanges (id) on delete cascade,
  claim_id uuid not null references claims (id),
  primary key (exchange_id, claim_id)
);
create index claim_exchange_claims_claim on claim_exchange_claims (claim_id);

-- Scopes of the new exchanges for clients registered before them.
update oauth_clients set scopes = scopes || ' system/Communication.write system/CommunicationRequest.read system/Communication.read system/PaymentNotice.read system/PaymentReconciliation.read'
where participant_id in (select id from participants where kind = 'provider') and scopes like '%system/Claim.write%'
  and scopes not like '%system/Communication.write%';
update oauth_clients set scopes = scopes || ' system/CommunicationRequest.write system/PaymentNotice.write system/PaymentReconciliation.write system/CommunicationRequest.read system/Communication.read system/PaymentNotice.read system/PaymentReconciliation.read'
where participant_id in (select id from participants where kind = 'insurer') and scopes like '%system/ClaimResponse.write%'
  and scopes not like '%system/CommunicationRequest.write%';
