-- Room on each page for the rows ingest updates in place. The rollups, a kiosk instance's counters and a
-- kiosk's last_seen_at are rewritten by nearly every batch; with free space on the row's own page, PostgreSQL
-- makes the new version there and adds no index entry (a HOT update). Tables packed full, as by default,
-- put every new version on another page and add an entry to every index. Applies to pages written from now on.
ALTER TABLE rollup_hourly SET (fillfactor = 70);
ALTER TABLE rollup_daily SET (fillfactor = 70);
ALTER TABLE rollup_monthly SET (fillfactor = 70);
ALTER TABLE rollup_monthly_points SET (fillfactor = 70);
ALTER TABLE rollup_yearly_points SET (fillfactor = 70);
ALTER TABLE reason_daily SET (fillfactor = 70);
ALTER TABLE kiosk_instances SET (fillfactor = 70);
ALTER TABLE kiosks SET (fillfactor = 70);
