-- Limits per participant: requests per minute, request size, entries per bundle (unset: the gateway's defaults).
alter table participants add column limits jsonb not null default '{}';
