-- migrate:expand
ALTER TABLE repositories ENABLE ROW LEVEL SECURITY;
ALTER TABLE collaborators ENABLE ROW LEVEL SECURITY;
CREATE POLICY collaborators_own ON collaborators
	USING (user_login = current_user);

-- migrate:revert-expand
DROP POLICY collaborators_own ON collaborators;
ALTER TABLE collaborators DISABLE ROW LEVEL SECURITY;
ALTER TABLE repositories DISABLE ROW LEVEL SECURITY;
