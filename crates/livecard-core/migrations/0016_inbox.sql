-- livecard client store: the inbox of "send mine back" (issue 16, docs/PROTOCOL.md §6).
-- The inbox private keys are NOT here: they live in the OS keystore beside the signing keys.

-- Per published own card: the last inbox registration the server accepted.
CREATE TABLE own_inbox (
    remote_id   TEXT PRIMARY KEY NOT NULL,
    epoch       INTEGER NOT NULL DEFAULT 0,
    key_id      TEXT
);

-- Every reply that arrived, once per sender `msg` value (a second delivery is ignored).
-- state: 'new' (card added, not yet looked at), 'accepted', 'ignored' (card removed),
-- 'blocked' (sender blocked; later messages from that card are dropped),
-- 'pending' (the sender's card could not be fetched yet: `link` kept, added by a later sync).
CREATE TABLE inbox_messages (
    msg             TEXT PRIMARY KEY NOT NULL,
    to_remote_id    TEXT NOT NULL,
    sender_remote_id TEXT NOT NULL,
    card_id         TEXT,
    link            TEXT,
    note            TEXT NOT NULL DEFAULT '',
    sent            INTEGER NOT NULL,
    received        INTEGER NOT NULL,
    -- 1 when this message added the card (ignore/block then removes it again).
    added           INTEGER NOT NULL DEFAULT 0,
    state           TEXT NOT NULL CHECK (state IN ('new', 'accepted', 'ignored', 'blocked', 'pending')),
    error           TEXT
);

-- Server message ids stored here and not yet acked (acked by the next take).
CREATE TABLE inbox_acks (
    to_remote_id TEXT NOT NULL,
    msg_id       TEXT NOT NULL,
    PRIMARY KEY (to_remote_id, msg_id)
);

-- Senders (card ids) whose replies are dropped.
CREATE TABLE inbox_blocked (
    sender_remote_id TEXT PRIMARY KEY NOT NULL,
    at               INTEGER NOT NULL
);
