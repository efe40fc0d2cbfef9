-- What POST /v1/sync reads of each id (version, deleted, record size), in one index: the
-- batch answer is one index search per id instead of an index search plus a table row read.
-- `versions()` names it (INDEXED BY): the planner picks it on its own only after ANALYZE.
CREATE INDEX cards_sync ON cards (id, version, deleted, length(ciphertext));
