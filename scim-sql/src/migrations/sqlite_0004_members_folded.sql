-- scim-sql schema, version 4 (SQLite): memberships by member id as filters
-- compare it (`lower(member_id)`, ASCII): `members[value eq "x"]` without
-- `id eq` finds the groups by this index instead of reading each group's
-- memberships. (With `id eq`, a range of the primary key already does.)
CREATE INDEX scim_members_member_folded
    ON scim_members (tenant, lower(member_id), group_id);
