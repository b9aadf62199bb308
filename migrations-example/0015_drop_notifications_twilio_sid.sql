-- No deployed app version reads twilio_sid any more. Expand copies what the
-- old versions wrote while 0014's release rolled out; contract removes the
-- old column. Its index goes first, CONCURRENTLY, so the drop never waits on
-- the readers of notifications.

-- migrate:expand
UPDATE notifications
SET provider = 'twilio', provider_message_id = twilio_sid
WHERE twilio_sid IS NOT NULL AND provider_message_id IS NULL;

-- migrate:contract
DROP INDEX CONCURRENTLY notifications_twilio_sid_idx;
ALTER TABLE notifications DROP COLUMN twilio_sid;

-- migrate:revert-expand
-- Nothing to undo: the copies stay, as for 0014.
