-- Notices are written in the recipient's language (DESIGN §4: "police stations and contacts
-- have one; default zh-CN"). Only languages every notice template has are allowed.
ALTER TABLE police_stations ADD COLUMN language text NOT NULL DEFAULT 'zh-CN' CHECK (language IN ('zh-CN', 'en'));
-- Contacts live in elders.contacts (jsonb): stored ones get the default written out, so the API
-- shows the language their notices are actually written in.
UPDATE elders SET contacts = (
  SELECT jsonb_agg(CASE WHEN c ? 'language' THEN c ELSE c || '{"language": "zh-CN"}'::jsonb END ORDER BY n)
  FROM jsonb_array_elements(contacts) WITH ORDINALITY AS t (c, n)
) WHERE jsonb_typeof(contacts) = 'array' AND jsonb_array_length(contacts) > 0;
