-- Roster imports in both languages of the gateway (docs/eligibility-roster.md). The error of a failed
-- import becomes JSON: {"en": "...", "fr": "..."} from now on; an import logged before keeps its English
-- text, as a JSON string, read as the same text in both languages. Each import also keeps the rows it
-- skipped: [{"line": 12, "message": {"en": "...", "fr": "..."}}, ...], the first 100 of them (the
-- messages name columns and quote dates or codes, never a member identifier).
alter table registry_imports alter column error type jsonb using to_jsonb(error);
alter table registry_imports add column row_errors jsonb not null default '[]';
