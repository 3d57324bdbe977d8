-- Corrected claims: the claim that replaced this one (Claim.related with relationship "replaces").
alter table claims add column replaced_by uuid;
