-- Every deployed app version writes both columns now; copy the ids of the
-- older rows. The next app release reads provider_message_id only and stops
-- writing twilio_sid.

-- migrate:expand
UPDATE notifications
SET provider = 'twilio', provider_message_id = twilio_sid
WHERE twilio_sid IS NOT NULL AND provider_message_id IS NULL;

-- migrate:revert-expand
-- Nothing to undo: the copied ids stay in provider_message_id, and reverting
-- 0013 drops the column with them.
