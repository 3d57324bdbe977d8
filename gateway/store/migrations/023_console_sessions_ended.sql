-- Console sessions ended by logout. A session's cookie token (renewed every minute, all renewals sharing
-- the session id `sid`) stays signed until it expires; a logout records the id here so that no token of
-- that session is accepted again, from this browser or a copy of its cookie. Rows are kept until the
-- session's last token would have expired anyway.
create table console_sessions_ended (
  session_id uuid primary key,
  client_id text not null,
  ended_at timestamptz not null default now(),
  expires_at timestamptz not null
);
create index console_sessions_ended_expiry on console_sessions_ended (expires_at);
