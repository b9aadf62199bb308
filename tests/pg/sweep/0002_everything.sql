-- migrate:expand
CREATE INDEX accounts_email_idx ON accounts (email);
ALTER TABLE accounts ADD CONSTRAINT accounts_balance_check CHECK (balance >= 0);
ALTER TABLE orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id);
ALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE (email);
ALTER TABLE accounts ALTER COLUMN name SET NOT NULL;
ALTER TABLE orders ALTER COLUMN total TYPE bigint;
ALTER TABLE accounts RENAME COLUMN status TO state;
ALTER TABLE tags RENAME TO labels;
ALTER TABLE orders ADD COLUMN weight integer DEFAULT one();
ALTER TABLE events ADD PRIMARY KEY (id);

-- migrate:contract
DROP INDEX CONCURRENTLY orders_note_idx;
ALTER TABLE accounts DROP COLUMN legacy;
DROP TABLE old_things;
