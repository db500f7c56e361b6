-- User names are unique regardless of case: "Wang" and "wang" would be two people to the
-- server and one to a colleague reading the audit trail.
-- Existing names that differ only in case stop the upgrade with this message (rename one of
-- each pair first, e.g. with sqlite3, then start weijian again).
CREATE TEMP TABLE username_case_check (
  duplicates INTEGER
    CONSTRAINT "user names that differ only in case exist; rename one of each pair and try again"
    CHECK (duplicates = 0)
);
INSERT INTO username_case_check
  SELECT count(*) FROM (SELECT 1 FROM app_user GROUP BY username COLLATE NOCASE HAVING count(*) > 1);
DROP TABLE username_case_check;
CREATE UNIQUE INDEX app_user_username_nocase ON app_user(username COLLATE NOCASE);

-- The unit an editable object belongs to (an article, a report template): only editors whose
-- units cover it change it; below it the object is read-only. Objects without a row (built-in
-- templates, content from before this version) are shared by the whole instance and changed by
-- superusers only.
CREATE TABLE object_owner (
  kind        TEXT NOT NULL,     -- "article", "report_template"
  key         TEXT NOT NULL,     -- the article's uid, the template's name
  org_unit_id INTEGER NOT NULL,
  PRIMARY KEY (kind, key)
) WITHOUT ROWID;
