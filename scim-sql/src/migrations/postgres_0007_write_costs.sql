-- scim-sql schema, version 7 (PostgreSQL): less written per create and
-- per update.

-- Room on each page of the value rows for their updated versions. An
-- update rewrites a value row whose key stays (`displayName`, `active`)
-- in place rather than deleting and inserting it. A change that leaves
-- the indexed columns as they were (a number, a boolean: `s` stays NULL)
-- is then a HOT update, with no new index entries, when the row's page
-- has room; with the default fillfactor of 100 the pages a sync fills
-- have none. Pages written before this migration get the room as they
-- are rewritten. (A table the host partitioned takes no fillfactor
-- itself: set it on its partitions.)
DO $$
BEGIN
    IF (SELECT relkind FROM pg_class WHERE oid = 'scim_values'::regclass) = 'r' THEN
        ALTER TABLE scim_values SET (fillfactor = 90);
    END IF;
END
$$;

-- The string index holds strings only. Its one use is the lookup of a
-- string (`substr(s, 1, 200) = ... AND s = ...`), which implies `s IS NOT
-- NULL`; the rows without a string (an element of `emails`, `name`, a
-- boolean, a number: four of an Entra-shaped user's eleven) gave it an
-- entry each. Built inside `migrate`'s transaction: on a large database
-- this reads every value row once, with writes to them waiting.
CREATE INDEX scim_values_str ON scim_values (tenant, resource_type, path, substr(s, 1, 200))
    WHERE s IS NOT NULL;
DROP INDEX scim_values_s;
ALTER INDEX scim_values_str RENAME TO scim_values_s;

-- Unique values lose their foreign key to the resource, as value rows did
-- in migration 3: its check took a row lock on the resource (a WAL
-- record) and a fifth of a create's time in the database. Claims are
-- written only with their resource (a create's one statement) or under
-- the update of its row; a delete removes them explicitly while it holds
-- that row's lock (see `delete_tx`). SQLite keeps its foreign key.
ALTER TABLE scim_unique DROP CONSTRAINT IF EXISTS scim_unique_tenant_id_fkey;
