-- migrate:expand
CREATE SCHEMA archive;
ALTER TABLE audit_log_2025 SET SCHEMA archive;
ALTER TYPE access_level RENAME TO permission;
CREATE TYPE team_role AS ENUM ('member', 'maintainer');
ALTER TYPE team_role RENAME TO team_permission;
