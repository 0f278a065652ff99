-- scim-sql schema, version 3 (PostgreSQL): how many resources each tenant
-- holds of each type, per owner and deletion state, kept by a trigger so
-- that the `totalResults` of an unfiltered list is one row read, not a
-- count of every row (flat from a thousand users to a million).
-- `owner` is '' for a resource without owner. The trigger touches only
-- rows of the changed resource's tenant (with Citus: co-located shards).
CREATE TABLE scim_counts (
    tenant        TEXT    NOT NULL,
    resource_type TEXT    NOT NULL,
    owner         TEXT    NOT NULL,
    deleted       BOOLEAN NOT NULL,
    n             BIGINT  NOT NULL,
    PRIMARY KEY (tenant, resource_type, owner, deleted)
);

INSERT INTO scim_counts (tenant, resource_type, owner, deleted, n)
SELECT tenant, resource_type, COALESCE(owner, ''), deleted, count(*)
FROM scim_resources GROUP BY tenant, resource_type, COALESCE(owner, ''), deleted;

-- An owner or deletion change moves one resource between two rows. The
-- rows are taken in key order (`deleted = false` first for one owner), so
-- two such changes in opposite directions cannot deadlock.
CREATE FUNCTION scim_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_owner TEXT;
    new_owner TEXT;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO scim_counts AS c (tenant, resource_type, owner, deleted, n)
        VALUES (NEW.tenant, NEW.resource_type, COALESCE(NEW.owner, ''), NEW.deleted, 1)
        ON CONFLICT (tenant, resource_type, owner, deleted) DO UPDATE SET n = c.n + 1;
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        UPDATE scim_counts SET n = n - 1
        WHERE tenant = OLD.tenant AND resource_type = OLD.resource_type
          AND owner = COALESCE(OLD.owner, '') AND deleted = OLD.deleted;
        RETURN NULL;
    END IF;
    old_owner := COALESCE(OLD.owner, '');
    new_owner := COALESCE(NEW.owner, '');
    IF (old_owner, OLD.deleted) < (new_owner, NEW.deleted) THEN
        UPDATE scim_counts SET n = n - 1
        WHERE tenant = OLD.tenant AND resource_type = OLD.resource_type
          AND owner = old_owner AND deleted = OLD.deleted;
    END IF;
    INSERT INTO scim_counts AS c (tenant, resource_type, owner, deleted, n)
    VALUES (NEW.tenant, NEW.resource_type, new_owner, NEW.deleted, 1)
    ON CONFLICT (tenant, resource_type, owner, deleted) DO UPDATE SET n = c.n + 1;
    IF (old_owner, OLD.deleted) > (new_owner, NEW.deleted) THEN
        UPDATE scim_counts SET n = n - 1
        WHERE tenant = OLD.tenant AND resource_type = OLD.resource_type
          AND owner = old_owner AND deleted = OLD.deleted;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER scim_counts_insert AFTER INSERT ON scim_resources
FOR EACH ROW EXECUTE FUNCTION scim_counts_change();

CREATE TRIGGER scim_counts_delete AFTER DELETE ON scim_resources
FOR EACH ROW EXECUTE FUNCTION scim_counts_change();

CREATE TRIGGER scim_counts_update AFTER UPDATE OF owner, deleted ON scim_resources
FOR EACH ROW
WHEN (OLD.owner IS DISTINCT FROM NEW.owner OR OLD.deleted IS DISTINCT FROM NEW.deleted)
EXECUTE FUNCTION scim_counts_change();

-- Value rows lose their foreign key to the resource. Its checks cost a
-- trigger call and a row lock (a WAL record) per value row: about a
-- quarter of a create's time in the database. Only this library writes
-- value rows, always with or after its resource in one transaction, and
-- a delete removes them explicitly while it holds the resource's row lock
-- (see `delete_tx`). SQLite keeps its foreign key: its checks are cheap,
-- and dropping one would rebuild the table.
ALTER TABLE scim_values DROP CONSTRAINT IF EXISTS scim_values_tenant_rid_fkey;

-- Room on each page for updated versions of its rows. A PATCH or a
-- member change rewrites the resource row without touching an indexed
-- column, which PostgreSQL can then do as a HOT update (no new entries
-- in the three indexes) when the page has space; with the default
-- fillfactor of 100 the pages a sync fills have none. (A table the host
-- partitioned takes no fillfactor itself: set it on its partitions.)
DO $$
BEGIN
    IF (SELECT relkind FROM pg_class WHERE oid = 'scim_resources'::regclass) = 'r' THEN
        ALTER TABLE scim_resources SET (fillfactor = 80);
    END IF;
END
$$;
