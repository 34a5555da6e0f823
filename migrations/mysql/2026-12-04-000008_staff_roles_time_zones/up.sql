-- Two roles (staff, admin) and each staff member's time zone. Accounts that exist already become admins:
-- until now everyone could do everything, and nobody loses an ability by upgrading.
ALTER TABLE staff_users
    ADD COLUMN role VARCHAR(16) NOT NULL DEFAULT 'staff',
    ADD COLUMN time_zone VARCHAR(64) NOT NULL DEFAULT 'Europe/London';
UPDATE staff_users SET role = 'admin';
