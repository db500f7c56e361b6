-- Reports: templates edited in the workbench (the built-in ones apply until one is saved), and
-- published reports with the figures they printed, frozen.

CREATE TABLE report_template (
  name       TEXT PRIMARY KEY,
  definition TEXT NOT NULL,   -- JSON
  updated    INTEGER NOT NULL,
  updated_by TEXT NOT NULL
);

CREATE TABLE report (
  id              INTEGER PRIMARY KEY,
  uid             TEXT NOT NULL UNIQUE,
  template_name   TEXT NOT NULL,
  org_unit_code   TEXT NOT NULL,
  period          TEXT NOT NULL,
  title           TEXT NOT NULL,
  html            TEXT NOT NULL,   -- the body as published, provenance included
  figures         TEXT NOT NULL,   -- JSON: every bound figure with its value and provenance
  article_uid     TEXT NOT NULL DEFAULT '',
  note            TEXT NOT NULL DEFAULT '',  -- the editor's note on the checks
  created         INTEGER NOT NULL,
  created_by      TEXT NOT NULL,
  data_changed_at INTEGER NOT NULL DEFAULT 0 -- when the data behind it was first seen changed
);
CREATE INDEX report_template_created ON report(template_name, created);

ALTER TABLE article ADD COLUMN report_uid TEXT NOT NULL DEFAULT '';
