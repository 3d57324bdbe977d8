-- Prior authorisations: the reference and validity an insurer gave a claim of use "preauthorization",
-- so a later claim citing it (Claim.insurance.preAuthRef) is checked against what the insurer granted.
alter table claims add column preauth_ref text;
alter table claims add column preauth_start date;
alter table claims add column preauth_end date;
create index claims_preauth on claims (insurer_id, preauth_ref) where preauth_ref is not null;
