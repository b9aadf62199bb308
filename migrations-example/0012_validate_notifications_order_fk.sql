-- Check the existing rows against orders, in a later migration than the ADD,
-- so the scan holds only a SHARE UPDATE EXCLUSIVE lock.

-- migrate:expand
ALTER TABLE notifications VALIDATE CONSTRAINT notifications_order_id_fkey;
