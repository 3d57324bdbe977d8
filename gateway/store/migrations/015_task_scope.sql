-- Providers registered before status Tasks existed get their scope.
update oauth_clients set scopes = scopes || ' system/Task.write'
where participant_id in (select id from participants where kind = 'provider') and scopes like '%system/Claim.write%'
  and scopes not like '%system/Task.write%';
