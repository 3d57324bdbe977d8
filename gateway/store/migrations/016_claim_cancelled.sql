-- A provider may cancel a claim (Task cancel): "cancelled" joins the claim states.
alter table claims drop constraint claims_status_check;
alter table claims add constraint claims_status_check
  check (status in ('accepted', 'queued', 'pended', 'complete', 'partial', 'error', 'failed', 'cancelled'));
