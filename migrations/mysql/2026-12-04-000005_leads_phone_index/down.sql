DROP INDEX leads_phone_id ON leads;
