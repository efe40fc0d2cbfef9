-- livecard client store, version 3: when each live received card last got an answer from its
-- server (a conditional GET, 304 included, or a batch sync answer received whole that covers
-- it). NULL: never since this version, or the card only ever came as an offline copy.
-- Offline and failed refreshes leave it alone; the app shows "synced N min ago" from it.
ALTER TABLE received_sync ADD COLUMN synced_at INTEGER;
