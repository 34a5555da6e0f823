ALTER TABLE staff_users DROP COLUMN time_zone, DROP COLUMN role;
