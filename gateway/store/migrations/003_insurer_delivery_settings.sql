-- Delivery settings per insurer: concurrency and rate limit of its queue's workers.
alter table participants add column delivery_settings jsonb not null default '{}';
