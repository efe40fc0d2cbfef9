-- livecard client store, version 17 (issue 14): the last refusal of a record for a received
-- card is stored as its code (src/decide.rs `Refusal`, JSON such as
-- {"code":"rollback","version":3,"held":5}), no longer as a bilingual sentence; its words are
-- rendered at display time in the user's language. Sentences stored by earlier versions are
-- mapped to their codes; one that is not recognised is kept as {"code":"other","text":…}.
ALTER TABLE received_sync ADD COLUMN last_refusal TEXT;

UPDATE received_sync SET last_refusal = CASE
    WHEN last_error = 'refused: bad signature / 签名无效'
        THEN json_object('code', 'bad_signature')
    WHEN last_error = 'refused: the card''s key does not match its id / 密钥不符'
        THEN json_object('code', 'key_mismatch')
    WHEN last_error = 'refused: the card''s public key changed since first seen / 公钥已变更'
        THEN json_object('code', 'key_changed')
    WHEN last_error LIKE 'refused: version % is older than the version % held here (rollback) / 拒绝旧版本'
        THEN json_object(
            'code', 'rollback',
            'version', CAST(substr(last_error, 18, instr(last_error, ' is older') - 18) AS INTEGER),
            'held', CAST(substr(last_error,
                instr(last_error, 'than the version ') + 17,
                instr(last_error, ' held here') - instr(last_error, 'than the version ') - 17)
                AS INTEGER))
    WHEN last_error LIKE 'refused: card breaks the limits: %'
        THEN json_object('code', 'breaks_limits', 'detail', substr(last_error, 34))
    WHEN last_error LIKE 'refused: %'
        THEN json_object('code', 'bad_record', 'detail', substr(last_error, 10))
    ELSE json_object('code', 'other', 'text', last_error)
END
WHERE last_error IS NOT NULL;

ALTER TABLE received_sync DROP COLUMN last_error;
