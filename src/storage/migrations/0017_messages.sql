-- 互动交流: citizens' messages (留言) and the human checks they pass before writing one.
-- A message is written by a citizen, routed by staff to a unit, answered by that unit, and
-- shown on the public list only when the writer agreed and staff published it. The phone
-- number is for staff only and never leaves the workbench.

CREATE TABLE citizen_message (
  id          INTEGER PRIMARY KEY,
  query_code  TEXT NOT NULL UNIQUE,             -- given to the writer to follow the message
  category    TEXT NOT NULL CHECK (category IN ('咨询', '投诉', '建议')),
  name        TEXT NOT NULL,
  phone       TEXT NOT NULL,
  subject     TEXT NOT NULL,
  body        TEXT NOT NULL,
  consent     INTEGER NOT NULL DEFAULT 0,       -- 1: the writer agrees the exchange may be published
  unit_code   TEXT NOT NULL DEFAULT '',         -- the unit it is routed to ('' : not yet routed)
  status      TEXT NOT NULL DEFAULT 'received'
              CHECK (status IN ('received', 'routed', 'answered', 'rejected')),
  reply       TEXT NOT NULL DEFAULT '',
  replied_by  TEXT NOT NULL DEFAULT '',
  replied_at  INTEGER NOT NULL DEFAULT 0,       -- epoch ms; 0: not answered
  published   INTEGER NOT NULL DEFAULT 0,       -- 1: on the public list (needs consent and a reply)
  note        TEXT NOT NULL DEFAULT '',         -- staff's note (why rejected, where routed)
  source_addr   TEXT NOT NULL DEFAULT '',       -- hash of the writer's address (rate limit)
  source_device TEXT NOT NULL DEFAULT '',       -- hash of the writer's device cookie (rate limit)
  created     INTEGER NOT NULL,
  updated     INTEGER NOT NULL
);
CREATE INDEX citizen_message_status ON citizen_message(status, created);
CREATE INDEX citizen_message_addr ON citizen_message(source_addr, created);
CREATE INDEX citizen_message_device ON citizen_message(source_device, created);

-- A question shown as text (and read aloud on request); the answer is checked on the server,
-- once, before the expiry.
CREATE TABLE message_challenge (
  token   TEXT PRIMARY KEY,
  answer  TEXT NOT NULL,
  expires INTEGER NOT NULL                      -- epoch ms
) WITHOUT ROWID;
