-- Two roles (staff, admin) and each staff member's time zone. Accounts that exist already become admins:
-- until now everyone could do everything, and nobody loses an ability by upgrading.
ALTER TABLE staff_users ADD COLUMN role TEXT NOT NULL DEFAULT 'staff';
ALTER TABLE staff_users ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Europe/London';
UPDATE staff_users SET role = 'admin';
