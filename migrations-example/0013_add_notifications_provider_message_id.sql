-- Email goes out through a second provider, so twilio_sid becomes
-- provider_message_id (with provider saying whose id it is). RENAME COLUMN
-- would break every running app version, which all read twilio_sid, so the
-- new columns are added beside the old one. The app release that ships with
-- this migration writes both and still reads twilio_sid.

-- migrate:expand
ALTER TABLE notifications ADD COLUMN provider text;
ALTER TABLE notifications ADD COLUMN provider_message_id text;

CREATE INDEX CONCURRENTLY notifications_provider_message_id_idx
	ON notifications (provider, provider_message_id);
