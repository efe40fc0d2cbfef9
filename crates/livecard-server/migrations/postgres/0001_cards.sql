-- One row per card id: the live record, or its tombstone once deleted (deleted = true, empty
-- nonce/ciphertext, signature = the deletion signature). Rows are never removed.
CREATE TABLE cards (
    id          TEXT        PRIMARY KEY NOT NULL,
    public_key  BYTEA       NOT NULL,
    version     BIGINT      NOT NULL,
    nonce       BYTEA       NOT NULL,
    ciphertext  BYTEA       NOT NULL,
    signature   BYTEA       NOT NULL,
    deleted     BOOLEAN     NOT NULL DEFAULT FALSE,
    updated_at  BIGINT      NOT NULL
);
