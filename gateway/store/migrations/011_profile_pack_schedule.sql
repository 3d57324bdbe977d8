-- An insurer's profile packs with the date each version takes effect (replaces the single profile_pack
-- canonical, which nothing read): [{"pack": "demo-ipm", "version": "1.0.0"}, {"pack": "demo-ipm", "version": "2.0.0", "from": "2027-01-01"}].
alter table participants add column profile_packs jsonb not null default '[]';
alter table participants drop column profile_pack;
