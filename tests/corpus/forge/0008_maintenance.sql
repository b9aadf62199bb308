-- migrate:expand
REFRESH MATERIALIZED VIEW repository_stats;
REFRESH MATERIALIZED VIEW CONCURRENTLY repository_stats;
REINDEX SYSTEM forge;
ALTER TABLE repositories SET TABLESPACE fast_ssd;

-- migrate:revert-expand
