-- Fill notifications point at their order, so the app can link to it. The
-- foreign key is added NOT VALID: existing rows are not checked (no long
-- lock on notifications or orders); new rows are.

-- migrate:expand
ALTER TABLE notifications ADD COLUMN order_id bigint;

ALTER TABLE notifications
	ADD CONSTRAINT notifications_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id) NOT VALID;

CREATE INDEX CONCURRENTLY notifications_order_id_idx ON notifications (order_id);
