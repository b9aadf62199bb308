-- migrate:expand
DROP FUNCTION uid();
CREATE FUNCTION uid() RETURNS uuid LANGUAGE sql STABLE AS
	$$ SELECT coalesce(
		nullif(current_setting('request.jwt.claim.sub', true), ''),
		(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
	)::uuid $$;

-- migrate:revert-expand
CREATE OR REPLACE FUNCTION uid() RETURNS uuid LANGUAGE sql STABLE AS
	$$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$;
