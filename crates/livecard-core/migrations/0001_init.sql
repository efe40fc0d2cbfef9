-- livecard client store, version 1.
-- Times are INTEGER milliseconds since the Unix epoch (UTC): sortable and unambiguous.

-- Small key/value table: the write generation of the received-card list (every write that
-- changes what search or the list shows bumps `received_gen`, so a process whose in-memory
-- search index is older reloads it).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
);
INSERT INTO meta (key, value) VALUES ('received_gen', 0);

-- The user's own cards. Exactly one of them is the default ("me") once any exists.
CREATE TABLE own_cards (
    id          TEXT PRIMARY KEY NOT NULL,
    card_json   TEXT NOT NULL,
    -- Bumped on every edit; sync publishes versions.
    version     INTEGER NOT NULL DEFAULT 1,
    is_default  INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    -- For sync (later): the server's id of this card and the last version it accepted.
    remote_id          TEXT UNIQUE,
    published_version  INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX own_cards_one_default ON own_cards (is_default) WHERE is_default = 1;

-- Cards received from other people. `card_json` holds the owner's fields only: sync replaces
-- it wholesale. The recipient's notes and tags live in their own tables below.
CREATE TABLE received_cards (
    id              TEXT PRIMARY KEY NOT NULL,
    card_json       TEXT NOT NULL,
    source          TEXT NOT NULL,
    -- 0 for static imports (vCard/MeCard): they never sync.
    live            INTEGER NOT NULL DEFAULT 0 CHECK (live IN (0, 1)),
    -- For sync (later): the server's card id, the owner's version we hold, and whether the
    -- owner still publishes it.
    remote_id       TEXT UNIQUE,
    remote_version  INTEGER,
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked', 'deleted')),
    added_at        INTEGER NOT NULL,
    -- When the owner's fields last changed here (add, re-import, sync).
    updated_at      INTEGER NOT NULL,
    -- When the user last opened the card; updated_at > last_seen_at means "changed".
    last_seen_at    INTEGER,
    -- Duplicate detection for static imports: normalised display name.
    name_key        TEXT NOT NULL DEFAULT '',
    -- Computed at write time from the card: what the list shows, list order by name (pinyin
    -- for Chinese) and by company, and the search key (JSON: lowercase text, phone digits,
    -- pinyin readings).
    display_name     TEXT NOT NULL DEFAULT '',
    company          TEXT NOT NULL DEFAULT '',
    title            TEXT NOT NULL DEFAULT '',
    sort_key         TEXT NOT NULL DEFAULT '',
    company_sort_key TEXT NOT NULL DEFAULT '',
    search_key       TEXT NOT NULL DEFAULT '{}',
    search_key_version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX received_cards_name_key ON received_cards (name_key);
CREATE INDEX received_cards_sort_key ON received_cards (sort_key);
CREATE INDEX received_cards_updated_at ON received_cards (updated_at);
CREATE INDEX received_cards_company_sort_key ON received_cards (company_sort_key);

-- The recipient's private notes: nothing but the notes calls touch this table.
CREATE TABLE received_notes (
    card_id     TEXT PRIMARY KEY NOT NULL REFERENCES received_cards (id) ON DELETE CASCADE,
    notes       TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- The recipient's private tags: nothing but the tag calls touch this table.
CREATE TABLE received_tags (
    card_id  TEXT NOT NULL REFERENCES received_cards (id) ON DELETE CASCADE,
    tag      TEXT NOT NULL,
    PRIMARY KEY (card_id, tag)
);
CREATE INDEX received_tags_tag ON received_tags (tag);
