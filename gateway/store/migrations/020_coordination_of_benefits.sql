-- Coordination of benefits: a claim with several Claim.insurance entries goes to its focal insurer first,
-- then, once that insurer has adjudicated it, to the next payer as a follow-on claim (a claim of its own,
-- delivered, retried, replayed and cancelled like any other). coordination_root is the provider's
-- original claim; follows_claim the claim whose answer the follow-on carries (one follow-on per claim).
alter table claims add column coordination_root uuid references claims (id);
alter table claims add column follows_claim uuid unique references claims (id);
create index claims_coordination_root on claims (coordination_root, created_at) where coordination_root is not null;
