-- The public portal: site settings, articles with every published version kept, attachments,
-- and a full-text index over titles and bodies.

CREATE TABLE site_setting (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE article (
  id          INTEGER PRIMARY KEY,
  uid         TEXT NOT NULL UNIQUE,
  column_code TEXT NOT NULL,
  title       TEXT NOT NULL,
  body_md     TEXT NOT NULL,
  source      TEXT NOT NULL DEFAULT '',   -- 来源
  author      TEXT NOT NULL DEFAULT '',   -- 作者
  editor      TEXT NOT NULL DEFAULT '',   -- 责任编辑
  status      TEXT NOT NULL CHECK (status IN ('draft', 'published')),
  publish_at  INTEGER NOT NULL DEFAULT 0, -- ms; in the future: scheduled
  created     INTEGER NOT NULL,
  updated     INTEGER NOT NULL,
  updated_by  TEXT NOT NULL DEFAULT '',
  views       INTEGER NOT NULL DEFAULT 0,
  version     INTEGER NOT NULL DEFAULT 0  -- the last published version, 0: never published
);
CREATE INDEX article_listing ON article(status, column_code, publish_at);

-- Every published version, as it was published; never changed.
CREATE TABLE article_version (
  article_id   INTEGER NOT NULL REFERENCES article(id),
  version      INTEGER NOT NULL,
  title        TEXT NOT NULL,
  body_md      TEXT NOT NULL,
  published_at INTEGER NOT NULL,
  published_by TEXT NOT NULL,
  PRIMARY KEY (article_id, version)
) WITHOUT ROWID;
CREATE TRIGGER article_version_no_update BEFORE UPDATE ON article_version
BEGIN SELECT RAISE(ABORT, 'published versions are kept as they were'); END;
CREATE TRIGGER article_version_no_delete BEFORE DELETE ON article_version
BEGIN SELECT RAISE(ABORT, 'published versions are kept as they were'); END;

CREATE TABLE attachment (
  id           INTEGER PRIMARY KEY,
  uid          TEXT NOT NULL UNIQUE,
  article_id   INTEGER REFERENCES article(id),
  name         TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size         INTEGER NOT NULL,
  bytes        BLOB NOT NULL,
  created      INTEGER NOT NULL,
  created_by   TEXT NOT NULL
);
CREATE INDEX attachment_article ON attachment(article_id);

-- Chinese has no spaces: the text is indexed as overlapping character pairs (bigrams) and
-- words of other scripts, written by the application into this table (rowid = article id).
CREATE VIRTUAL TABLE article_fts USING fts5(title, body, tokenize = 'unicode61');
