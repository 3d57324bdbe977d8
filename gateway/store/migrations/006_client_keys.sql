-- SMART Backend Services: OAuth clients authenticate with a signed JWT (private_key_jwt) against a
-- registered JWK set, inline or by URL; client secrets become optional. Each assertion's jti is
-- recorded until it expires, so a replayed assertion is refused.
alter table oauth_clients alter column secret_hash drop not null;
alter table oauth_clients add column jwks jsonb;
alter table oauth_clients add column jwks_url text;

create table used_assertions (
  client_id text not null,
  jti text not null,
  expires_at timestamptz not null,
  primary key (client_id, jti)
);
create index used_assertions_expiry on used_assertions (expires_at);
