-- Deciding together: participatory budgeting rounds and panels chosen by
-- lot, and "notice" items (a budget round's results, posted in its group).

-- items.kind gains 'notice'. SQLite cannot alter a CHECK constraint; this
-- is its documented way of loosening one in place (sqlite.org/lang_altertable.html,
-- "making other kinds of table schema changes"): no row changes, and every
-- existing row still passes. RESET reloads the schema on this connection.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (kind IN (''need'', ''offer'', ''action''',
    'CHECK (kind IN (''need'', ''offer'', ''action'', ''notice''')
    WHERE type = 'table' AND name = 'items';
PRAGMA writable_schema = RESET;

CREATE TABLE budget_rounds (
    id              INTEGER PRIMARY KEY,
    group_id        INTEGER NOT NULL REFERENCES groups(id),
    created_by      INTEGER NOT NULL REFERENCES members(id),
    title           TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    budget          INTEGER NOT NULL CHECK (budget > 0),   -- minor units
    currency        TEXT NOT NULL,
    mode            TEXT NOT NULL CHECK (mode IN ('knapsack', 'approval')),
    visibility      TEXT NOT NULL CHECK (visibility IN ('public', 'followers', 'village')),
    created_at      TEXT NOT NULL,
    review_from     TEXT NOT NULL,
    voting_from     TEXT NOT NULL,
    results_at      TEXT NOT NULL,
    voting_told_at  TEXT,
    closing_told_at TEXT,
    closed_at       TEXT,
    ballots         INTEGER NOT NULL DEFAULT 0,
    spent           INTEGER NOT NULL DEFAULT 0,
    results_item_id INTEGER REFERENCES items(id) ON DELETE SET NULL
) STRICT;

CREATE TABLE budget_projects (
    id            INTEGER PRIMARY KEY,
    round_id      INTEGER NOT NULL REFERENCES budget_rounds(id) ON DELETE CASCADE,
    author_id     INTEGER NOT NULL REFERENCES members(id),
    title         TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    area          TEXT NOT NULL DEFAULT '',
    cost          INTEGER NOT NULL CHECK (cost > 0),
    created_at    TEXT NOT NULL,
    review        TEXT NOT NULL DEFAULT 'pending' CHECK (review IN ('pending', 'eligible', 'ineligible')),
    review_reason TEXT NOT NULL DEFAULT '',
    reviewed_by   INTEGER REFERENCES members(id),
    votes         INTEGER NOT NULL DEFAULT 0,
    rank          INTEGER NOT NULL DEFAULT 0,
    funded        INTEGER NOT NULL DEFAULT 0,
    skipped       INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX budget_projects_round ON budget_projects(round_id, id);

-- Ballots are secret. A ballot is a random token and its choices: no time,
-- no row number (WITHOUT ROWID: rows sort by the random token, so their
-- order says nothing about when they were cast). While voting is open
-- voter_id links a ballot to its voter, only so they can change it; when
-- the round closes it is set to NULL for every ballot, and who voted is
-- kept apart, in budget_voters, with nothing to join on.
CREATE TABLE budget_ballots (
    token    TEXT PRIMARY KEY,
    round_id INTEGER NOT NULL REFERENCES budget_rounds(id) ON DELETE CASCADE,
    voter_id INTEGER REFERENCES members(id)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX budget_ballots_voter ON budget_ballots(round_id, voter_id) WHERE voter_id IS NOT NULL;
CREATE INDEX budget_ballots_round ON budget_ballots(round_id);

CREATE TABLE budget_choices (
    token      TEXT NOT NULL REFERENCES budget_ballots(token) ON DELETE CASCADE,
    project_id INTEGER NOT NULL REFERENCES budget_projects(id) ON DELETE CASCADE,
    PRIMARY KEY (token, project_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX budget_choices_project ON budget_choices(project_id);

CREATE TABLE budget_voters (
    round_id  INTEGER NOT NULL REFERENCES budget_rounds(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id),
    PRIMARY KEY (round_id, member_id)
) STRICT, WITHOUT ROWID;

-- Panels chosen by lot. strata, record and chances are JSON written and
-- read only by Hearth (record is the published draw record).
CREATE TABLE panels (
    id              INTEGER PRIMARY KEY,
    group_id        INTEGER NOT NULL REFERENCES groups(id),
    created_by      INTEGER NOT NULL REFERENCES members(id),
    title           TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    size            INTEGER NOT NULL CHECK (size > 0),
    strata          TEXT NOT NULL DEFAULT '[]',
    ends_at         TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'committed', 'drawn')),
    created_at      TEXT NOT NULL,
    seed_method     TEXT NOT NULL DEFAULT '',
    seed_source     TEXT NOT NULL DEFAULT '',
    seed_commitment TEXT NOT NULL DEFAULT '',
    seed_secret     TEXT NOT NULL DEFAULT '',   -- until the draw publishes it
    inputs_hash     TEXT NOT NULL DEFAULT '',
    record          TEXT,
    chances         TEXT,
    committed_at    TEXT,
    drawn_at        TEXT,
    guests_erased_at TEXT
) STRICT;

-- A guest's name and contact are erased once the panel ends.
CREATE TABLE panel_volunteers (
    id            INTEGER PRIMARY KEY,
    panel_id      INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
    code          TEXT NOT NULL,
    member_id     INTEGER REFERENCES members(id),
    guest_name    TEXT NOT NULL DEFAULT '',
    guest_contact TEXT NOT NULL DEFAULT '',
    answers       TEXT NOT NULL DEFAULT '',     -- "2 1": the 1-based answer to each question
    created_at    TEXT NOT NULL,
    selected      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (panel_id, code),
    UNIQUE (panel_id, member_id)
) STRICT;
CREATE UNIQUE INDEX panel_volunteers_contact ON panel_volunteers(panel_id, lower(guest_contact)) WHERE guest_contact <> '';

-- The public history of rounds and panels: who changed what, when.
CREATE TABLE decide_log (
    id         INTEGER PRIMARY KEY,
    subject    TEXT NOT NULL CHECK (subject IN ('round', 'panel')),
    subject_id INTEGER NOT NULL,
    actor_id   INTEGER REFERENCES members(id),
    action     TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX decide_log_subject ON decide_log(subject, subject_id, id);
