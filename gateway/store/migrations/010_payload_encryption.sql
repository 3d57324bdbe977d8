-- Participants that want the gateway's pushes to them encrypted (JWE to their registered "enc" key).
alter table participants add column encrypt_payloads boolean not null default false;
