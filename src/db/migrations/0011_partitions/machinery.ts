import { sql } from 'kysely';

/**
 * How a monthly partition is made, in one place: the migration makes the first ones with these
 * functions and maintenance (platform/db/partitions.ts) makes the rest with the same ones.
 *
 * - A month is a UTC calendar month: `<table>_yYYYYmMM` holds [first instant, first instant of
 *   the next month) of the table's partition key.
 * - Rows no month partition takes land in `<table>_default`; when their month's partition is made,
 *   they move into it in the same transaction, as they are (their triggers already ran).
 * - Statement-level triggers are not inherited by partitions (row-level ones are): each partition
 *   gets copies of its parent's, so a statement aimed at a partition (a TRUNCATE, say) meets the
 *   same rules as one aimed at the table.
 * - Partitions are made one at a time (an advisory lock), so two processes making the same month
 *   at once don't collide.
 */
export const machineryUp = sql`
  -- Detached partitions (retention) are kept here, never dropped.
  CREATE SCHEMA archive;

  CREATE FUNCTION partition_key(parent regclass) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT a.attname::text FROM pg_partitioned_table AS p
    JOIN pg_attribute AS a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
    WHERE p.partrelid = parent $$;

  CREATE FUNCTION partition_copy_statement_triggers(parent regclass, part regclass) RETURNS void
    LANGUAGE plpgsql AS $$
  DECLARE t record;
  BEGIN
    FOR t IN SELECT tgname, pg_get_triggerdef(oid) AS def FROM pg_trigger
             WHERE tgrelid = parent AND NOT tgisinternal AND tgtype & 1 = 0 LOOP
      IF NOT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = part AND tgname = t.tgname) THEN
        EXECUTE regexp_replace(t.def, ' ON [^ ]+ ', ' ON ' || part::text || ' ');
      END IF;
    END LOOP;
  END $$;

  -- The partition of parent for the month holding month (a date), made unless it exists; true when made.
  CREATE FUNCTION partition_add_month(parent regclass, month date) RETURNS boolean LANGUAGE plpgsql AS $$
  DECLARE
    nsp text := (SELECT n.nspname FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
                 WHERE c.oid = parent);
    base text := (SELECT relname FROM pg_class WHERE oid = parent);
    key text := partition_key(parent);
    -- ISO text with its offset: the bounds mean the same whatever the session's TimeZone and DateStyle.
    lo text := to_char(month, 'YYYY-MM') || '-01 00:00:00+00';
    hi text := to_char(month + interval '1 month', 'YYYY-MM') || '-01 00:00:00+00';
    part text := format('%I.%I', nsp, format('%s_y%sm%s', base, to_char(month, 'YYYY'), to_char(month, 'MM')));
    strays text := format('%I.%I', nsp, base || '_default');
    adopt boolean := false;
  BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('partition_add_month'));
    IF to_regclass(part) IS NOT NULL THEN
      RETURN false;
    END IF;
    IF to_regclass(strays) IS NOT NULL THEN
      EXECUTE format('SELECT EXISTS (SELECT FROM %s WHERE %I >= $1 AND %I < $2)', strays, key, key)
        INTO adopt USING lo::timestamptz, hi::timestamptz;
    END IF;
    IF adopt THEN
      -- Detached, the default partition loses its row triggers; the new partition's are held off
      -- while the rows move in as they are (a sealed audit row stays sealed).
      EXECUTE format('ALTER TABLE %s DETACH PARTITION %s', parent, strays);
    END IF;
    EXECUTE format('CREATE TABLE %s PARTITION OF %s FOR VALUES FROM (%L) TO (%L)', part, parent, lo, hi);
    IF adopt THEN
      EXECUTE format('ALTER TABLE %s DISABLE TRIGGER USER', part);
      EXECUTE format('INSERT INTO %s SELECT * FROM %s WHERE %I >= $1 AND %I < $2', part, strays, key, key)
        USING lo::timestamptz, hi::timestamptz;
      -- Their deferred checks run now: a table with pending trigger events can't be altered.
      SET CONSTRAINTS ALL IMMEDIATE;
      EXECUTE format('ALTER TABLE %s ENABLE TRIGGER USER', part);
      EXECUTE format('DELETE FROM %s WHERE %I >= $1 AND %I < $2', strays, key, key)
        USING lo::timestamptz, hi::timestamptz;
      EXECUTE format('ALTER TABLE %s ATTACH PARTITION %s DEFAULT', parent, strays);
    END IF;
    PERFORM partition_copy_statement_triggers(parent, part::regclass);
    RETURN true;
  END $$;

  -- Every month partition from the month of first to the month of last; the months it made.
  CREATE FUNCTION partition_cover(parent regclass, first timestamptz, last timestamptz) RETURNS SETOF date
    LANGUAGE plpgsql AS $$
  DECLARE month date := date_trunc('month', first AT TIME ZONE 'UTC')::date;
  BEGIN
    WHILE month <= (last AT TIME ZONE 'UTC')::date LOOP
      IF partition_add_month(parent, month) THEN
        RETURN NEXT month;
      END IF;
      month := (month + interval '1 month')::date;
    END LOOP;
  END $$;
`;

/** The default partition of a table that has its statement triggers. */
export const defaultPartition = (table: string) => sql`
  CREATE TABLE ${sql.id(`${table}_default`)} PARTITION OF ${sql.id(table)} DEFAULT;
  SELECT partition_copy_statement_triggers(${sql.lit(table)}, ${sql.lit(`${table}_default`)});`;

/** Month partitions for every month of `old`'s rows (by `key`) and from now to 3 months ahead. */
export const coverData = (table: string, old: string, key: string) => sql`
  SELECT count(*) FROM partition_cover(${sql.lit(table)},
    LEAST(now(), (SELECT min(${sql.id(key)}) FROM ${sql.id(old)})),
    GREATEST(now() + interval '3 months', (SELECT max(${sql.id(key)}) FROM ${sql.id(old)})));`;

export const machineryDown = sql`
  DROP FUNCTION partition_cover(regclass, timestamptz, timestamptz);
  DROP FUNCTION partition_add_month(regclass, date);
  DROP FUNCTION partition_copy_statement_triggers(regclass, regclass);
  DROP FUNCTION partition_key(regclass);
  -- Not CASCADE: archived partitions are data; attach them again (or move them) before going back.
  DROP SCHEMA archive;
`;
