// Schema of the tickets module (migration 2).
// Times are unix seconds; 0 means "not yet". Users and groups live in migration 1 (users,
// user_groups); dispatch reads them and keeps users.on_duty / users.last_assigned_at current.
#include "wedesk/store/database.hpp"

namespace wedesk::tickets {

extern const store::Migration kSchemaTickets;
const store::Migration kSchemaTickets = {2, "tickets", R"SQL(
CREATE TABLE ticket_seq (
    day  TEXT PRIMARY KEY,                  -- YYYYMMDD in business_hours.utc_offset
    last INTEGER NOT NULL
);

CREATE TABLE tickets (
    id           INTEGER PRIMARY KEY,
    no           TEXT NOT NULL UNIQUE,      -- IT20261127-0001
    requester    TEXT NOT NULL,
    category     TEXT NOT NULL,             -- category key
    group_name   TEXT NOT NULL DEFAULT '',  -- dispatch group ('' when no group handles it)
    description  TEXT NOT NULL,
    priority     TEXT NOT NULL CHECK (priority IN ('P1','P2','P3')),
    status       TEXT NOT NULL CHECK (status IN
                   ('new','assigned','in_progress','waiting','resolved','closed','cancelled')),
    assignee     TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    assigned_at  INTEGER NOT NULL DEFAULT 0, -- current assignment (accept timeout runs from it)
    accepted_at  INTEGER NOT NULL DEFAULT 0, -- first accept (response SLA)
    resolved_at  INTEGER NOT NULL DEFAULT 0,
    closed_at    INTEGER NOT NULL DEFAULT 0,
    paused_since INTEGER NOT NULL DEFAULT 0, -- waiting for the employee since
    card_seq     INTEGER NOT NULL DEFAULT 0, -- cards sent (unique task_id per send)
    last_urged_at INTEGER NOT NULL DEFAULT 0,
    -- SLA: due instants (0 = no target) and once-only flags
    response_warn_at  INTEGER NOT NULL DEFAULT 0,
    response_due      INTEGER NOT NULL DEFAULT 0,
    resolve_warn_at   INTEGER NOT NULL DEFAULT 0,
    resolve_due       INTEGER NOT NULL DEFAULT 0,
    response_warned   INTEGER NOT NULL DEFAULT 0,
    response_breached INTEGER NOT NULL DEFAULT 0,
    resolve_warned    INTEGER NOT NULL DEFAULT 0,
    resolve_breached  INTEGER NOT NULL DEFAULT 0,
    resolution     TEXT NOT NULL DEFAULT '',
    rating         INTEGER CHECK (rating IS NULL OR rating BETWEEN 1 AND 5),
    rating_comment TEXT NOT NULL DEFAULT ''
);
CREATE INDEX tickets_requester ON tickets(requester, created_at);
CREATE INDEX tickets_assignee ON tickets(assignee, status);
CREATE INDEX tickets_status ON tickets(status);

-- The timeline: who did what when. Append-only, enforced below.
CREATE TABLE ticket_events (
    id        INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,                -- userid, or 'system'
    kind      TEXT NOT NULL,                -- created, assigned, accepted, note, ...
    detail    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id, id);
CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END;
CREATE TRIGGER ticket_events_no_delete BEFORE DELETE ON ticket_events
BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END;

CREATE TABLE ticket_attachments (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    media_id   TEXT NOT NULL,
    media_type TEXT NOT NULL DEFAULT 'image',
    added_by   TEXT NOT NULL,
    added_at   INTEGER NOT NULL
);
CREATE INDEX ticket_attachments_ticket ON ticket_attachments(ticket_id);

-- Stretches during which the resolution clock stood still (waiting, resolved until reopened).
CREATE TABLE ticket_pauses (
    id        INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    start_at  INTEGER NOT NULL,
    end_at    INTEGER                       -- NULL while paused
);
CREATE INDEX ticket_pauses_ticket ON ticket_pauses(ticket_id);
)SQL"};

}  // namespace wedesk::tickets
