ALTER TABLE staff_users DROP COLUMN time_zone;
ALTER TABLE staff_users DROP COLUMN role;
