-- Inbox of two-way exchange (issue 16, docs/PROTOCOL.md §6). Only ids, epochs, key ids,
-- sealed bytes, hashes and times: never plaintext.
-- inboxes: the owner's registered inbox key id per card (highest epoch wins).
CREATE TABLE inboxes (
    id          TEXT    PRIMARY KEY NOT NULL,
    epoch       BIGINT  NOT NULL,
    key_id      BYTEA   NOT NULL,
    updated_at  BIGINT  NOT NULL
);
-- inbox_messages: one row per delivered message. msg_id is derived from SHA-256(sealed), so a
-- second delivery of the same bytes conflicts on the primary key. A taken (acked) row loses
-- its sealed bytes but stays until it expires, to refuse a replay.
CREATE TABLE inbox_messages (
    card_id     TEXT    NOT NULL,
    msg_id      TEXT    NOT NULL,
    key_id      BYTEA   NOT NULL,
    sealed      BYTEA   NOT NULL,
    taken       BOOLEAN NOT NULL DEFAULT FALSE,
    received    BIGINT  NOT NULL,
    expires     BIGINT  NOT NULL,
    PRIMARY KEY (card_id, msg_id)
);
CREATE INDEX inbox_messages_expires ON inbox_messages (expires);
