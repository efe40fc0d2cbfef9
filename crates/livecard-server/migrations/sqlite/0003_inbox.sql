-- Inbox of two-way exchange (issue 16, docs/PROTOCOL.md §6). Only ids, epochs, key ids,
-- sealed bytes, hashes and times: never plaintext.
-- inboxes: the owner's registered inbox key id per card (highest epoch wins).
CREATE TABLE inboxes (
    id          TEXT    PRIMARY KEY NOT NULL,
    epoch       INTEGER NOT NULL,
    key_id      BLOB    NOT NULL,
    updated_at  INTEGER NOT NULL
);
-- inbox_messages: one row per delivered message. msg_id is derived from SHA-256(sealed), so a
-- second delivery of the same bytes conflicts on the primary key. A taken (acked) row loses
-- its sealed bytes but stays until it expires, to refuse a replay.
CREATE TABLE inbox_messages (
    card_id     TEXT    NOT NULL,
    msg_id      TEXT    NOT NULL,
    key_id      BLOB    NOT NULL,
    sealed      BLOB    NOT NULL,
    taken       INTEGER NOT NULL DEFAULT 0,
    received    INTEGER NOT NULL,
    expires     INTEGER NOT NULL,
    PRIMARY KEY (card_id, msg_id)
);
CREATE INDEX inbox_messages_expires ON inbox_messages (expires);
