-- DHIS2 metadata collections weijian keeps whole, as normalised JSON (issue 14): option sets and
-- options, legend sets, attributes, data element / indicator / org unit / category option groups
-- and group sets, org unit levels. References inside a body are {"id": uid}. The bundle importer
-- checks every field and reference before writing; the store only keeps and returns them.
CREATE TABLE metadata_document (
  collection TEXT NOT NULL,  -- the DHIS2 collection name, e.g. optionSets
  uid TEXT NOT NULL,
  code TEXT,
  name TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (collection, uid)
);
CREATE UNIQUE INDEX metadata_document_code ON metadata_document(collection, code)
  WHERE code IS NOT NULL;

-- Fields DHIS2 carries on objects weijian models in their own tables (attributeValues on any
-- object, a data element's optionSet and legendSets, …), kept beside the object by uid.
CREATE TABLE metadata_object_extra (
  collection TEXT NOT NULL,  -- dataElements, indicators, dataSets, …
  uid TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (collection, uid)
);
