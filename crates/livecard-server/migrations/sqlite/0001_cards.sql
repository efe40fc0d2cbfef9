-- One row per card id: the live record, or its tombstone once deleted (deleted = 1, empty
-- nonce/ciphertext, signature = the deletion signature). Rows are never removed.
CREATE TABLE cards (
    id          TEXT    PRIMARY KEY NOT NULL,
    public_key  BLOB    NOT NULL,
    version     INTEGER NOT NULL,
    nonce       BLOB    NOT NULL,
    ciphertext  BLOB    NOT NULL,
    signature   BLOB    NOT NULL,
    deleted     BOOLEAN NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL
);
