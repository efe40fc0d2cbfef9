-- Change feed (issue 16, src/changes.rs): every stored record or tombstone notifies the
-- channel livecard_changes with '<ID> <version> <v|g>' inside the writing transaction, so
-- PostgreSQL delivers it to every listening server process at commit (and never for a write
-- that rolled back). One trigger covers every write path.
CREATE OR REPLACE FUNCTION livecard_notify_change() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('livecard_changes',
        NEW.id || ' ' || NEW.version::text || CASE WHEN NEW.deleted THEN ' g' ELSE ' v' END);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER cards_notify_change
    AFTER INSERT OR UPDATE ON cards
    FOR EACH ROW EXECUTE FUNCTION livecard_notify_change();
