-- scim-sql schema, version 2 (PostgreSQL): the admin store (feature
-- `admin`): connections, token hashes, provisioning activity, e-mail
-- domains. Created whatever the build's features, so that every build sees
-- one schema per version. Times are Unix milliseconds. Tenants and names
-- sort bytewise (COLLATE "C"), as the in-memory store sorts them.

-- An identity-provider connection of a tenant, by its opaque id. Not per
-- tenant (its tokens are found by hash alone): with Citus, a reference
-- table.
CREATE TABLE scim_connections (
    id        TEXT   NOT NULL PRIMARY KEY,
    tenant    TEXT   COLLATE "C" NOT NULL,
    name      TEXT   COLLATE "C" NOT NULL,
    created   BIGINT NOT NULL,
    last_used BIGINT,
    UNIQUE (tenant, name)
);

-- A connection's Secret Tokens: only their SHA-256, looked up alone on
-- every SCIM request (the tenant is not known before), so keyed by it.
-- With Citus, a reference table.
CREATE TABLE scim_tokens (
    hash          BYTEA  NOT NULL PRIMARY KEY,
    id            TEXT   NOT NULL UNIQUE,
    connection_id TEXT   NOT NULL REFERENCES scim_connections (id) ON DELETE CASCADE,
    created       BIGINT NOT NULL,
    last_used     BIGINT,
    expires       BIGINT
);
CREATE INDEX scim_tokens_connection ON scim_tokens (connection_id);

-- The provisioning activity log. A sequence never gives an id twice, so a
-- page cursor (an id) never points into newer records after a prune.
-- `failed` is `status >= 400`, so that a tenant's failures are a range of
-- an index. `latency_us` in microseconds.
CREATE TABLE scim_activity (
    id            BIGSERIAL NOT NULL PRIMARY KEY,
    time          BIGINT    NOT NULL,
    tenant        TEXT      COLLATE "C",
    connection    TEXT      COLLATE "C",
    method        TEXT      NOT NULL,
    path          TEXT      NOT NULL,
    resource_type TEXT,
    resource_id   TEXT,
    status        SMALLINT  NOT NULL,
    failed        BOOLEAN   NOT NULL,
    scim_type     TEXT,
    detail        TEXT,
    latency_us    BIGINT    NOT NULL
);
-- Newest-first pages of a tenant, of one of its connections, of its
-- failures or successes; pruning by age.
CREATE INDEX scim_activity_tenant ON scim_activity (tenant, id);
CREATE INDEX scim_activity_connection ON scim_activity (tenant, connection, id);
CREATE INDEX scim_activity_failed ON scim_activity (tenant, failed, id);
CREATE INDEX scim_activity_time ON scim_activity (time);

-- E-mail domains a tenant claims, verified by a DNS TXT record.
CREATE TABLE scim_domains (
    tenant    TEXT   COLLATE "C" NOT NULL,
    name      TEXT   COLLATE "C" NOT NULL,
    challenge TEXT   NOT NULL,
    created   BIGINT NOT NULL,
    verified  BIGINT,
    PRIMARY KEY (tenant, name)
);
