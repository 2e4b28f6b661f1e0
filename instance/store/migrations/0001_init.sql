-- Hearth schema, version 1: members, roles, sessions, invites, groups.
-- Times are UTC RFC 3339 text ("2026-11-27T07:18:24Z"), which sorts correctly.

-- handles is the one namespace shared by members and groups: both become
-- @handle@host on the fediverse, so no two may share a handle.
CREATE TABLE handles (
    handle TEXT PRIMARY KEY,
    kind   TEXT NOT NULL CHECK (kind IN ('member', 'group'))
) STRICT;

CREATE TABLE members (
    id                  INTEGER PRIMARY KEY,
    handle              TEXT NOT NULL UNIQUE REFERENCES handles(handle),
    display_name        TEXT NOT NULL,
    email               TEXT,
    password_hash       TEXT NOT NULL,
    pronouns            TEXT NOT NULL DEFAULT '',
    language            TEXT NOT NULL DEFAULT 'en',
    contact_preference  TEXT NOT NULL DEFAULT 'site' CHECK (contact_preference IN ('site', 'email', 'phone')),
    phone               TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL CHECK (status IN ('pending', 'active', 'rejected', 'suspended')),
    application_answer  TEXT NOT NULL DEFAULT '',
    conduct_accepted_at TEXT NOT NULL,
    created_at          TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX members_email ON members(email) WHERE email IS NOT NULL;
CREATE INDEX members_status ON members(status);

CREATE TABLE member_roles (
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    role      TEXT NOT NULL CHECK (role IN ('member', 'helper', 'verified_helper', 'coordinator', 'safeguarding_lead', 'admin')),
    PRIMARY KEY (member_id, role)
) STRICT;

-- token_hash is SHA-256 of the cookie value: a copy of the database does not
-- hand out live logins.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    member_id  INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;
CREATE INDEX sessions_member ON sessions(member_id);

CREATE TABLE invites (
    code       TEXT PRIMARY KEY,
    created_by INTEGER NOT NULL REFERENCES members(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_by    INTEGER REFERENCES members(id),
    used_at    TEXT,
    note       TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE groups (
    id          INTEGER PRIMARY KEY,
    handle      TEXT NOT NULL UNIQUE REFERENCES handles(handle),
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    rules       TEXT NOT NULL DEFAULT '',
    main        INTEGER NOT NULL DEFAULT 0 CHECK (main IN (0, 1)),
    created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE group_members (
    group_id  INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    joined_at TEXT NOT NULL,
    PRIMARY KEY (group_id, member_id)
) STRICT;
CREATE INDEX group_members_member ON group_members(member_id);
