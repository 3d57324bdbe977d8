-- The profile pack an insurer's claims are validated against (canonical URL, optionally |version).
alter table participants add column profile_pack text;
