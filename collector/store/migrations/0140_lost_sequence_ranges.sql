-- Sequence numbers closed as lost. After the database is restored to an older point, it has forgotten
-- ratings that kiosks had already deleted (an earlier watermark covered them): their numbers form a gap
-- no kiosk can fill. Once a kiosk's heartbeat says it no longer holds numbers that low, the collector
-- closes that gap as lost (collector/gaps.py, `release`): the watermark moves on, and the loss is counted
-- here instead of holding every later rating back. A lost range is a closed gap with lost_at set; when a
-- rating under a lost number arrives after all, the range's row gets lost_at NULL and what is still lost
-- of it is inserted again (with its original lost_at).
ALTER TABLE sequence_gaps ADD COLUMN lost_at timestamptz;
ALTER TABLE sequence_gaps ADD CONSTRAINT sequence_gaps_lost_closed CHECK (lost_at IS NULL OR closed_at IS NOT NULL);
CREATE INDEX sequence_gaps_lost ON sequence_gaps (kiosk_id, instance, first_seq) WHERE lost_at IS NOT NULL;
