-- livecard client store, version 2: sync, publishing, change history.
-- Secrets (signing-key seeds, own share secrets) are NOT here: they live in the OS keystore.

-- Own cards: which server they are published on, the public URL links use, and the card as
-- last accepted by the server (the base of the field-wise merge after a 409).
ALTER TABLE own_cards ADD COLUMN server_url TEXT;
ALTER TABLE own_cards ADD COLUMN public_url TEXT;
ALTER TABLE own_cards ADD COLUMN published_json TEXT;

-- Own-card writes waiting for the server, replayed in `seq` order on sync.
-- kind: 'publish' (the card's current fields at >= version) or 'delete' (signed tombstone).
CREATE TABLE outbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    own_id      TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('publish', 'delete')),
    version     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX outbox_own ON outbox (own_id);

-- Live received cards: where to sync them and how to read them. The share secret of a
-- RECEIVED card is kept here (not in the keystore): it only reads a card whose plaintext this
-- database already holds.
CREATE TABLE received_sync (
    card_id         TEXT PRIMARY KEY NOT NULL REFERENCES received_cards (id) ON DELETE CASCADE,
    server_url      TEXT NOT NULL,
    secret          TEXT NOT NULL,
    -- 1 while we hold only an offline copy that may lack fields: sync asks for the full
    -- record (version 0).
    partial         INTEGER NOT NULL DEFAULT 0 CHECK (partial IN (0, 1)),
    last_checked_at INTEGER,
    -- The last refusal (bad signature, changed key, rollback), for the UI.
    last_error      TEXT
);

-- First-seen public key per card id (kept even when the card is deleted here).
CREATE TABLE pinned_keys (
    remote_id   TEXT PRIMARY KEY NOT NULL,
    public_key  BLOB NOT NULL,
    first_seen  INTEGER NOT NULL
);

-- What changed on each update of a received card, per field.
CREATE TABLE card_changes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    card_id     TEXT NOT NULL REFERENCES received_cards (id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    field       TEXT NOT NULL,
    old_value   TEXT NOT NULL,
    new_value   TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX card_changes_card ON card_changes (card_id, seq);
