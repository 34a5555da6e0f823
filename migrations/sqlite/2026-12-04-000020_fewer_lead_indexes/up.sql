-- Every insert pays for every index. These five served filters that match a sizeable share of the leads
-- (one of six interests, one of five statuses, consent yes/no), where walking the sort's own index and
-- skipping non-matches finds a page as fast; `leads_email` is a prefix of `leads_email_id`.
DROP INDEX leads_email;
DROP INDEX leads_interest_created_at;
DROP INDEX leads_consent_created_at;
DROP INDEX leads_status_name_id;
DROP INDEX leads_status_email_id;
