-- migrate:expand
CREATE TYPE factor_type AS ENUM ('totp', 'webauthn');

CREATE TABLE identities (
	id uuid PRIMARY KEY,
	email text,
	phone text,
	last_sign_in timestamp,
	created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE factors (
	id uuid PRIMARY KEY,
	identity_id uuid NOT NULL REFERENCES identities (id),
	kind factor_type NOT NULL,
	secret text NOT NULL
);

CREATE TABLE sessions (
	id uuid PRIMARY KEY,
	identity_id uuid NOT NULL REFERENCES identities (id),
	not_after timestamp
);
CREATE INDEX sessions_identity_idx ON sessions (identity_id);

CREATE FUNCTION uid() RETURNS uuid LANGUAGE sql STABLE AS
	$$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;

CREATE VIEW active_sessions AS
	SELECT * FROM sessions WHERE not_after IS NULL OR not_after > now();
