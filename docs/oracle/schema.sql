CREATE TABLE locus_alembic_version (
    version_num VARCHAR2(32 CHAR) NOT NULL, 
    CONSTRAINT locus_alembic_version_pkc PRIMARY KEY (version_num)
)

/

-- Running upgrade  -> 5d1c0a7e2b41

CREATE TABLE locus_threads (
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

CREATE INDEX locus_threads_upd_ix ON locus_threads (updated_at)

/

CREATE INDEX locus_threads_exp_ix ON locus_threads (expires_at)

/

CREATE TABLE locus_checkpoints (
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

CREATE UNIQUE INDEX locus_checkpoints_seq_ux ON locus_checkpoints (thread_id, checkpoint_ns, seq)

/

CREATE INDEX locus_checkpoints_created_ix ON locus_checkpoints (created_at)

/

CREATE TABLE locus_writes (
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

CREATE INDEX locus_threads_txt_ix ON locus_threads (search_text) INDEXTYPE IS CTXSYS.CONTEXT PARAMETERS ('SYNC (ON COMMIT)')

/

INSERT INTO locus_alembic_version (version_num) VALUES ('5d1c0a7e2b41')

/

-- Running upgrade 5d1c0a7e2b41 -> 863d7bbd7897

CREATE TABLE locus_lg_checkpoints (
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

CREATE INDEX locus_lg_checkpoints_run_ix ON locus_lg_checkpoints (run_id)

/

CREATE TABLE locus_lg_blobs (
    thread_id VARCHAR2(255 CHAR) NOT NULL, 
    checkpoint_ns VARCHAR2(255 CHAR) NOT NULL, 
    channel VARCHAR2(255 CHAR) NOT NULL, 
    version VARCHAR2(255 CHAR) NOT NULL, 
    value_type VARCHAR2(64 CHAR) NOT NULL, 
    value BLOB, 
    CONSTRAINT locus_lg_blobs_pk PRIMARY KEY (thread_id, checkpoint_ns, channel, version)
)

/

CREATE TABLE locus_lg_writes (
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

