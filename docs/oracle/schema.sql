WHENEVER SQLERROR EXIT FAILURE ROLLBACK
-- Stops at the first failing statement, with a failure exit status. Oracle commits
-- each DDL, so the steps before it stay done; every step is guarded (IF [NOT] EXISTS),
-- so after fixing the cause, run the script generated from the version the database
-- records (locus-store upgrade --sql --from-revision <version>, or this script again
-- when no version is recorded yet). The COMMIT at the end records the version.

CREATE TABLE IF NOT EXISTS locus_alembic_version (
    version_num VARCHAR2(32 CHAR) NOT NULL, 
    CONSTRAINT locus_alembic_version_pkc PRIMARY KEY (version_num)
)

/

-- Running upgrade  -> 5d1c0a7e2b41

CREATE TABLE IF NOT EXISTS locus_threads (
    thread_id VARCHAR2(255 CHAR) NOT NULL, 
    checkpoint_id VARCHAR2(255 CHAR) NOT NULL, 
    state JSON NOT NULL, 
    metadata JSON, 
    search_text CLOB, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    expires_at TIMESTAMP WITH TIME ZONE, 
    CONSTRAINT locus_threads_pk PRIMARY KEY (thread_id)
)

/

CREATE INDEX IF NOT EXISTS locus_threads_upd_ix ON locus_threads (updated_at)

/

CREATE INDEX IF NOT EXISTS locus_threads_exp_ix ON locus_threads (expires_at)

/

CREATE TABLE IF NOT EXISTS locus_checkpoints (
    thread_id VARCHAR2(255 CHAR) NOT NULL, 
    checkpoint_ns VARCHAR2(255 CHAR) NOT NULL, 
    checkpoint_id VARCHAR2(255 CHAR) NOT NULL, 
    seq NUMBER(19) NOT NULL, 
    parent_checkpoint_id VARCHAR2(255 CHAR), 
    checkpoint JSON NOT NULL, 
    metadata JSON, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT locus_checkpoints_pk PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)
)

/

CREATE UNIQUE INDEX IF NOT EXISTS locus_checkpoints_seq_ux ON locus_checkpoints (thread_id, checkpoint_ns, seq)

/

CREATE INDEX IF NOT EXISTS locus_checkpoints_created_ix ON locus_checkpoints (created_at)

/

CREATE TABLE IF NOT EXISTS locus_writes (
    thread_id VARCHAR2(255 CHAR) NOT NULL, 
    checkpoint_ns VARCHAR2(255 CHAR) NOT NULL, 
    checkpoint_id VARCHAR2(255 CHAR) NOT NULL, 
    task_id VARCHAR2(255 CHAR) NOT NULL, 
    idx INTEGER NOT NULL, 
    channel VARCHAR2(255 CHAR) NOT NULL, 
    value JSON, 
    CONSTRAINT locus_writes_pk PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
)

/

DECLARE
    index_loading EXCEPTION;
    PRAGMA EXCEPTION_INIT(index_loading, -29868);
    drop_routine_failed EXCEPTION;
    PRAGMA EXCEPTION_INIT(drop_routine_failed, -29856);
BEGIN
    EXECUTE IMMEDIATE 'DROP INDEX IF EXISTS locus_threads_txt_ix';
EXCEPTION
    WHEN index_loading OR drop_routine_failed THEN
        EXECUTE IMMEDIATE 'DROP INDEX locus_threads_txt_ix FORCE';
END;

/

CREATE INDEX locus_threads_txt_ix ON locus_threads (search_text) INDEXTYPE IS CTXSYS.CONTEXT PARAMETERS ('SYNC (ON COMMIT)')

/

INSERT INTO locus_alembic_version (version_num) VALUES ('5d1c0a7e2b41')

/

-- Running upgrade 5d1c0a7e2b41 -> 863d7bbd7897

CREATE TABLE IF NOT EXISTS locus_lg_checkpoints (
    thread_id VARCHAR2(255 CHAR) NOT NULL, 
    checkpoint_ns VARCHAR2(255 CHAR) NOT NULL, 
    checkpoint_id VARCHAR2(255 CHAR) NOT NULL, 
    parent_checkpoint_id VARCHAR2(255 CHAR), 
    run_id VARCHAR2(255 CHAR), 
    checkpoint_type VARCHAR2(64 CHAR) NOT NULL, 
    checkpoint BLOB NOT NULL, 
    channel_versions JSON NOT NULL, 
    metadata JSON NOT NULL, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    CONSTRAINT locus_lg_checkpoints_pk PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)
)

/

CREATE INDEX IF NOT EXISTS locus_lg_checkpoints_run_ix ON locus_lg_checkpoints (run_id)

/

CREATE TABLE IF NOT EXISTS locus_lg_blobs (
    thread_id VARCHAR2(255 CHAR) NOT NULL, 
    checkpoint_ns VARCHAR2(255 CHAR) NOT NULL, 
    channel VARCHAR2(255 CHAR) NOT NULL, 
    version VARCHAR2(255 CHAR) NOT NULL, 
    value_type VARCHAR2(64 CHAR) NOT NULL, 
    value BLOB, 
    CONSTRAINT locus_lg_blobs_pk PRIMARY KEY (thread_id, checkpoint_ns, channel, version)
)

/

CREATE TABLE IF NOT EXISTS locus_lg_writes (
    thread_id VARCHAR2(255 CHAR) NOT NULL, 
    checkpoint_ns VARCHAR2(255 CHAR) NOT NULL, 
    checkpoint_id VARCHAR2(255 CHAR) NOT NULL, 
    task_id VARCHAR2(255 CHAR) NOT NULL, 
    idx INTEGER NOT NULL, 
    channel VARCHAR2(255 CHAR) NOT NULL, 
    value_type VARCHAR2(64 CHAR) NOT NULL, 
    value BLOB, 
    task_path VARCHAR2(2000 CHAR) NOT NULL, 
    CONSTRAINT locus_lg_writes_pk PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
)

/

UPDATE locus_alembic_version SET version_num='863d7bbd7897' WHERE locus_alembic_version.version_num = '5d1c0a7e2b41'

/

-- Running upgrade 863d7bbd7897 -> a08dd95ca49e

UPDATE locus_alembic_version SET version_num='a08dd95ca49e' WHERE locus_alembic_version.version_num = '863d7bbd7897'

/

-- Running upgrade a08dd95ca49e -> c4e1f7a92b3d

UPDATE locus_threads SET
    created_at = CASE WHEN EXTRACT(TIMEZONE_REGION FROM created_at) <> 'UNKNOWN' THEN FROM_TZ(CAST(SYS_EXTRACT_UTC(created_at) AS TIMESTAMP), '+00:00') ELSE created_at END,
    updated_at = CASE WHEN EXTRACT(TIMEZONE_REGION FROM updated_at) <> 'UNKNOWN' THEN FROM_TZ(CAST(SYS_EXTRACT_UTC(updated_at) AS TIMESTAMP), '+00:00') ELSE updated_at END,
    expires_at = CASE WHEN EXTRACT(TIMEZONE_REGION FROM expires_at) <> 'UNKNOWN' THEN FROM_TZ(CAST(SYS_EXTRACT_UTC(expires_at) AS TIMESTAMP), '+00:00') ELSE expires_at END
WHERE EXTRACT(TIMEZONE_REGION FROM created_at) <> 'UNKNOWN'
    OR EXTRACT(TIMEZONE_REGION FROM updated_at) <> 'UNKNOWN'
    OR EXTRACT(TIMEZONE_REGION FROM expires_at) <> 'UNKNOWN'

/

UPDATE locus_checkpoints SET
    created_at = CASE WHEN EXTRACT(TIMEZONE_REGION FROM created_at) <> 'UNKNOWN' THEN FROM_TZ(CAST(SYS_EXTRACT_UTC(created_at) AS TIMESTAMP), '+00:00') ELSE created_at END
WHERE EXTRACT(TIMEZONE_REGION FROM created_at) <> 'UNKNOWN'

/

UPDATE locus_lg_checkpoints SET
    created_at = CASE WHEN EXTRACT(TIMEZONE_REGION FROM created_at) <> 'UNKNOWN' THEN FROM_TZ(CAST(SYS_EXTRACT_UTC(created_at) AS TIMESTAMP), '+00:00') ELSE created_at END
WHERE EXTRACT(TIMEZONE_REGION FROM created_at) <> 'UNKNOWN'

/

DECLARE
    index_loading EXCEPTION;
    PRAGMA EXCEPTION_INIT(index_loading, -29868);
    drop_routine_failed EXCEPTION;
    PRAGMA EXCEPTION_INIT(drop_routine_failed, -29856);
BEGIN
    EXECUTE IMMEDIATE 'DROP INDEX IF EXISTS locus_threads_txt_ix';
EXCEPTION
    WHEN index_loading OR drop_routine_failed THEN
        EXECUTE IMMEDIATE 'DROP INDEX locus_threads_txt_ix FORCE';
END;

/

CREATE INDEX locus_threads_txt_ix ON locus_threads (search_text) INDEXTYPE IS CTXSYS.CONTEXT PARAMETERS ('SYNC (ON COMMIT) STOPLIST CTXSYS.EMPTY_STOPLIST')

/

UPDATE locus_alembic_version SET version_num='c4e1f7a92b3d' WHERE locus_alembic_version.version_num = 'a08dd95ca49e'

/

-- Running upgrade c4e1f7a92b3d -> 3b9d5e7a1c24

DECLARE
    column_exists EXCEPTION;
    PRAGMA EXCEPTION_INIT(column_exists, -1430);
BEGIN
    EXECUTE IMMEDIATE 'ALTER TABLE locus_lg_checkpoints ADD (expires_at TIMESTAMP WITH TIME ZONE)';
EXCEPTION
    WHEN column_exists THEN
        NULL;
END;

/

CREATE INDEX IF NOT EXISTS locus_lg_checkpoints_exp_ix ON locus_lg_checkpoints (expires_at)

/

UPDATE locus_alembic_version SET version_num='3b9d5e7a1c24' WHERE locus_alembic_version.version_num = 'c4e1f7a92b3d'

/

-- Running upgrade 3b9d5e7a1c24 -> b7e2d94c1f08

CREATE TABLE IF NOT EXISTS locus_memory_items (
    namespace VARCHAR2(1000 CHAR) NOT NULL, 
    key VARCHAR2(255 CHAR) NOT NULL, 
    value JSON NOT NULL, 
    metadata JSON, 
    search_text CLOB, 
    created_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL, 
    expires_at TIMESTAMP WITH TIME ZONE, 
    ttl_seconds FLOAT, 
    version INTEGER NOT NULL, 
    stamp VARCHAR2(32 CHAR) NOT NULL, 
    CONSTRAINT locus_memory_items_pk PRIMARY KEY (namespace, key)
)

/

CREATE INDEX IF NOT EXISTS locus_memory_items_upd_ix ON locus_memory_items (namespace, updated_at)

/

CREATE INDEX IF NOT EXISTS locus_memory_items_exp_ix ON locus_memory_items (expires_at)

/

CREATE TABLE IF NOT EXISTS locus_memory_config (
    id INTEGER NOT NULL, 
    vectors VARCHAR2(16 CHAR) NOT NULL, 
    dims INTEGER, 
    distance VARCHAR2(16 CHAR) NOT NULL, 
    CONSTRAINT locus_memory_config_pk PRIMARY KEY (id)
)

/

INSERT INTO locus_memory_config (id, vectors, dims, distance) SELECT 1 AS anon_1, 'none' AS anon_2, NULL AS anon_3, 'cosine' AS anon_4 FROM DUAL 
WHERE NOT (EXISTS (SELECT * 
FROM locus_memory_config 
WHERE locus_memory_config.id = 1))

/

DECLARE
    index_loading EXCEPTION;
    PRAGMA EXCEPTION_INIT(index_loading, -29868);
    drop_routine_failed EXCEPTION;
    PRAGMA EXCEPTION_INIT(drop_routine_failed, -29856);
BEGIN
    EXECUTE IMMEDIATE 'DROP INDEX IF EXISTS locus_memory_items_txt_ix';
EXCEPTION
    WHEN index_loading OR drop_routine_failed THEN
        EXECUTE IMMEDIATE 'DROP INDEX locus_memory_items_txt_ix FORCE';
END;

/

CREATE INDEX locus_memory_items_txt_ix ON locus_memory_items (search_text) INDEXTYPE IS CTXSYS.CONTEXT PARAMETERS ('SYNC (ON COMMIT) STOPLIST CTXSYS.EMPTY_STOPLIST')

/

UPDATE locus_alembic_version SET version_num='b7e2d94c1f08' WHERE locus_alembic_version.version_num = '3b9d5e7a1c24'

/

-- Running upgrade b7e2d94c1f08 -> e41a6c0d5b93

CREATE TABLE IF NOT EXISTS locus_memory_vectors (
    namespace VARCHAR2(1000 CHAR) NOT NULL, 
    key VARCHAR2(255 CHAR) NOT NULL, 
    field VARCHAR2(255 CHAR) NOT NULL, 
    stamp VARCHAR2(32 CHAR) NOT NULL, 
    embedding VECTOR(1536, FLOAT32) NOT NULL, 
    CONSTRAINT locus_memory_vectors_pk PRIMARY KEY (namespace, key, field)
)

/

DROP INDEX IF EXISTS locus_memory_vectors_ivf_ix

/

CREATE VECTOR INDEX locus_memory_vectors_ivf_ix ON locus_memory_vectors (embedding) ORGANIZATION NEIGHBOR PARTITIONS DISTANCE COSINE WITH TARGET ACCURACY 95

/

UPDATE locus_memory_config SET vectors='native', dims=1536, distance='cosine' WHERE locus_memory_config.id = 1

/

UPDATE locus_alembic_version SET version_num='e41a6c0d5b93' WHERE locus_alembic_version.version_num = 'b7e2d94c1f08'

/

COMMIT

/

