-- migrate:expand
COMMENT ON TABLE users IS 'café';
