-- The portal's column tree (栏目): each column has a slug (its code in URLs and on articles),
-- a parent (empty: top level), an order among its siblings, a kind that says what the column
-- shows, and the unit that owns it. Seeded with the structure a commission's site has; the four
-- columns of earlier versions (tzgg, gzdt, sjfb, wsjkxx) keep their codes as leaves of the tree,
-- so articles, feeds and links keep working.

CREATE TABLE portal_column (
  code        TEXT PRIMARY KEY,                 -- slug: a-z, 0-9, _ and -
  name        TEXT NOT NULL,
  parent_code TEXT NOT NULL DEFAULT '',         -- '' : top level
  position    INTEGER NOT NULL DEFAULT 0,       -- order among siblings
  kind        TEXT NOT NULL CHECK (kind IN ('article_list', 'single_page', 'external_link',
                                            'data_releases', 'messages', 'bulletin')),
  url         TEXT NOT NULL DEFAULT '',         -- external_link only
  description TEXT NOT NULL DEFAULT '',
  unit_code   TEXT NOT NULL DEFAULT '',         -- the owning unit ('' : the site's host)
  in_menu     INTEGER NOT NULL DEFAULT 1        -- 0: reached from the footer and the site map only
) WITHOUT ROWID;
CREATE INDEX portal_column_parent ON portal_column(parent_code, position);

INSERT INTO portal_column(code, name, parent_code, position, kind, url, description) VALUES
  ('jggk',   '机构概况',         '',     10, 'article_list',  '', '本委的职责、领导和机构设置'),
  ('ldxx',   '领导信息',         'jggk', 1,  'single_page',   '', '委领导的姓名、职务和分工'),
  ('nsjg',   '内设机构',         'jggk', 2,  'single_page',   '', '委机关各科室及其职责'),
  ('zsdw',   '直属单位',         'jggk', 3,  'single_page',   '', '委属医疗卫生机构和事业单位'),
  ('zwgk',   '政务公开',         '',     20, 'article_list',  '', '依法主动公开的政府信息'),
  ('gkzn',   '信息公开指南',     'zwgk', 1,  'single_page',   '', '如何获取本机关的政府信息'),
  ('gkml',   '信息公开目录',     'zwgk', 2,  'single_page',   '', '主动公开信息的分类和编排'),
  ('gknb',   '政府信息公开年报', 'zwgk', 3,  'article_list',  '', '每年的政府信息公开工作报告'),
  ('zcwj',   '政策文件',         'zwgk', 4,  'article_list',  '', '本委制发的规范性文件和政策解读'),
  ('ghjh',   '规划计划',         'zwgk', 5,  'article_list',  '', '卫生健康事业发展规划和年度计划'),
  ('czzj',   '财政资金',         'zwgk', 6,  'article_list',  '', '部门预算、决算和专项资金'),
  ('rsxx',   '人事信息',         'zwgk', 7,  'article_list',  '', '招聘、任免和公示'),
  ('xwdt',   '新闻动态',         '',     30, 'article_list',  '', '全市卫生健康工作的消息'),
  ('gzdt',   '工作动态',         'xwdt', 1,  'article_list',  '', '全市卫生健康系统的工作进展'),
  ('tzgg',   '通知公告',         'xwdt', 2,  'article_list',  '', '委机关发布的通知、公告和公示'),
  ('jcdt',   '基层动态',         'xwdt', 3,  'article_list',  '', '旗区和基层医疗卫生机构的工作'),
  ('wsjkxx', '卫生健康信息',     '',     40, 'bulletin',      '', '定期编印的卫生健康信息简报'),
  ('sjfb',   '数据发布',         '',     50, 'data_releases', '', '由业务数据直接生成的统计数据'),
  ('bsfw',   '办事服务',         '',     60, 'article_list',  '', '办事指南和网上办理入口'),
  ('bszn',   '办事指南',         'bsfw', 1,  'article_list',  '', '各项服务的依据、材料、流程和时限'),
  ('ywtb',   '网上办事大厅',     'bsfw', 2,  'external_link', 'https://zwfw.nmg.gov.cn/', '自治区政务服务网（一网通办）'),
  ('hdjl',   '互动交流',         '',     70, 'article_list',  '', '咨询投诉和征集调查'),
  ('zxts',   '咨询投诉',         'hdjl', 1,  'messages',      '', '给我们留言，查看已公开的答复'),
  ('zjdc',   '征集调查',         'hdjl', 2,  'article_list',  '', '意见征集和问卷调查'),
  ('ztzl',   '专题专栏',         '',     80, 'article_list',  '', '重点工作的专题报道'),
  ('wzxx',   '网站信息',         '',     90, 'article_list',  '', '关于本网、联系方式和声明');
INSERT INTO portal_column(code, name, parent_code, position, kind, description, in_menu) VALUES
  ('gybw',   '关于本网',         'wzxx', 1,  'single_page',   '本网站的定位和栏目设置', 0),
  ('lxwm',   '联系我们',         'wzxx', 2,  'single_page',   '地址、电话和办公时间', 0),
  ('zzsm',   '郑重声明',         'wzxx', 3,  'single_page',   '版权和转载的说明', 0);
UPDATE portal_column SET in_menu = 0 WHERE code = 'wzxx';
