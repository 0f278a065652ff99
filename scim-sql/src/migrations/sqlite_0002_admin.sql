-- scim-sql schema, version 2 (SQLite): the admin store (feature `admin`):
-- connections, token hashes, provisioning activity, e-mail domains.
-- Created whatever the build's features, so that every build sees one
-- schema per version. Times are Unix milliseconds.

-- An identity-provider connection of a tenant, by its opaque id.
CREATE TABLE scim_connections (
    id        TEXT    NOT NULL PRIMARY KEY,
    tenant    TEXT    NOT NULL,
    name      TEXT    NOT NULL,
    created   INTEGER NOT NULL,
    last_used INTEGER,
    UNIQUE (tenant, name)
);

-- A connection's Secret Tokens: only their SHA-256, looked up alone on
-- every SCIM request (the tenant is not known before), so keyed by it.
CREATE TABLE scim_tokens (
    hash          BLOB    NOT NULL PRIMARY KEY,
    id            TEXT    NOT NULL UNIQUE,
    connection_id TEXT    NOT NULL REFERENCES scim_connections (id) ON DELETE CASCADE,
    created       INTEGER NOT NULL,
    last_used     INTEGER,
    expires       INTEGER
);
CREATE INDEX scim_tokens_connection ON scim_tokens (connection_id);

-- The provisioning activity log. AUTOINCREMENT: an id is never given
-- again after the newest records are pruned, so a page cursor (an id)
-- never points into newer records. `failed` is `status >= 400`, so that
-- a tenant's failures are a range of an index. `latency_us` in
-- microseconds.
CREATE TABLE scim_activity (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    time          INTEGER NOT NULL,
    tenant        TEXT,
    connection    TEXT,
    method        TEXT    NOT NULL,
    path          TEXT    NOT NULL,
    resource_type TEXT,
    resource_id   TEXT,
    status        INTEGER NOT NULL,
    failed        INTEGER NOT NULL,
    scim_type     TEXT,
    detail        TEXT,
    latency_us    INTEGER NOT NULL
);
-- Newest-first pages of a tenant, of one of its connections, of its
-- failures or successes; pruning by age.
CREATE INDEX scim_activity_tenant ON scim_activity (tenant, id);
CREATE INDEX scim_activity_connection ON scim_activity (tenant, connection, id);
CREATE INDEX scim_activity_failed ON scim_activity (tenant, failed, id);
CREATE INDEX scim_activity_time ON scim_activity (time);

-- E-mail domains a tenant claims, verified by a DNS TXT record.
CREATE TABLE scim_domains (
    tenant    TEXT    NOT NULL,
    name      TEXT    NOT NULL,
    challenge TEXT    NOT NULL,
    created   INTEGER NOT NULL,
    verified  INTEGER,
    PRIMARY KEY (tenant, name)
);
