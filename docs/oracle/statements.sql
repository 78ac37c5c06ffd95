-- Every statement locus_store issues on Oracle Database 23ai/26ai.
-- Generated from the code by scripts/regenerate_oracle_sql.py; do not edit.
-- Table prefix 'locus'. Statements are shown as the driver receives them, with
-- named binds; the comment above each gives representative bind values. JSON
-- documents are bound as JSON text, and values longer than 4000 bytes (32767 with
-- MAX_STRING_SIZE=EXTENDED) as temporary CLOB/BLOB. Timestamps are bound as UTC
-- and marked so with FROM_TZ(..., '+00:00'), an offset: thin mode cannot fetch a
-- region name such as 'UTC' (DPY-3022). An empty namespace or channel is stored
-- as U+2400, since Oracle reads '' as NULL. Vectors are bound as array.array('f'),
-- which thin mode sends as a FLOAT32 VECTOR (a Python list would be a PL/SQL array).

-- =============================================================================
-- Single-row checkpointer (store.latest())
-- =============================================================================

-- latest.copy_thread
--   :dest_thread_id = 'thread-2'
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
--   :expires_at = NULL
--   :thread_id = 'thread-1'
INSERT INTO locus_threads (thread_id, checkpoint_id, state, metadata, search_text, created_at, updated_at, expires_at) SELECT :dest_thread_id AS anon_1, locus_threads.checkpoint_id, locus_threads.state, locus_threads.metadata, locus_threads.search_text, FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00') AS anon_2, FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00') AS anon__1, FROM_TZ(CAST(:expires_at AS TIMESTAMP), '+00:00') AS anon_3
FROM locus_threads
WHERE locus_threads.thread_id = :thread_id AND (locus_threads.expires_at IS NULL OR locus_threads.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')) AND NOT (EXISTS (SELECT *
FROM locus_threads taken
WHERE taken.thread_id = :dest_thread_id))
/

-- latest.current_checkpoint
--   :thread_id = 'thread-1'
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
SELECT locus_threads.checkpoint_id
FROM locus_threads
WHERE locus_threads.thread_id = :thread_id AND (locus_threads.expires_at IS NULL OR locus_threads.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00'))
/

-- latest.delete_checkpoint
--   :thread_id = 'thread-1'
--   :checkpoint_id = 'checkpoint-1'
DELETE FROM locus_threads WHERE locus_threads.thread_id = :thread_id AND locus_threads.checkpoint_id = :checkpoint_id
/

-- latest.delete_thread
--   :thread_id = 'thread-1'
DELETE FROM locus_threads WHERE locus_threads.thread_id = :thread_id
/

-- latest.drop_expired_thread
--   :dest_thread_id = 'thread-2'
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
DELETE FROM locus_threads WHERE locus_threads.thread_id = :dest_thread_id AND locus_threads.expires_at <= FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')
/

-- latest.get_checkpoint_metadata
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
--   :thread_id = 'thread-1'
--   :checkpoint_id = 'checkpoint-1'
SELECT locus_threads.thread_id, locus_threads.checkpoint_id, locus_threads.metadata, locus_threads.created_at, locus_threads.updated_at, locus_threads.expires_at
FROM locus_threads
WHERE (locus_threads.expires_at IS NULL OR locus_threads.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')) AND locus_threads.thread_id = :thread_id AND locus_threads.checkpoint_id = :checkpoint_id
/

-- latest.get_metadata
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
--   :thread_id = 'thread-1'
SELECT locus_threads.thread_id, locus_threads.checkpoint_id, locus_threads.metadata, locus_threads.created_at, locus_threads.updated_at, locus_threads.expires_at
FROM locus_threads
WHERE (locus_threads.expires_at IS NULL OR locus_threads.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')) AND locus_threads.thread_id = :thread_id
/

-- latest.list_threads
--   :pattern = 'user/%'
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
--   :limit = 100
SELECT locus_threads.thread_id
FROM locus_threads
WHERE locus_threads.thread_id LIKE :pattern ESCAPE '!' AND (locus_threads.expires_at IS NULL OR locus_threads.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')) ORDER BY locus_threads.updated_at DESC, locus_threads.thread_id
 FETCH FIRST :limit ROWS ONLY
/

-- latest.list_with_metadata
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
--   :limit = 100
SELECT locus_threads.thread_id, locus_threads.checkpoint_id, locus_threads.metadata, locus_threads.created_at, locus_threads.updated_at, locus_threads.expires_at
FROM locus_threads
WHERE locus_threads.expires_at IS NULL OR locus_threads.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00') ORDER BY locus_threads.updated_at DESC, locus_threads.thread_id
 FETCH FIRST :limit ROWS ONLY
/

-- latest.load
--   :thread_id = 'thread-1'
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
SELECT locus_threads.checkpoint_id, locus_threads.state
FROM locus_threads
WHERE locus_threads.thread_id = :thread_id AND (locus_threads.expires_at IS NULL OR locus_threads.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00'))
/

-- latest.load_checkpoint
--   :thread_id = 'thread-1'
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
--   :checkpoint_id = 'checkpoint-1'
SELECT locus_threads.checkpoint_id, locus_threads.state
FROM locus_threads
WHERE locus_threads.thread_id = :thread_id AND (locus_threads.expires_at IS NULL OR locus_threads.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')) AND locus_threads.checkpoint_id = :checkpoint_id
/

-- latest.query_by_metadata
--   :param_1 = 'review'
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
--   :limit = 100
SELECT locus_threads.thread_id, locus_threads.checkpoint_id, locus_threads.metadata, locus_threads.created_at, locus_threads.updated_at, locus_threads.expires_at
FROM locus_threads
WHERE (JSON_VALUE(locus_threads.metadata, '$."source".type()') IN ('string') AND JSON_VALUE(locus_threads.metadata, '$."source".stringOnly()' RETURNING VARCHAR2(4000) NULL ON ERROR) = :param_1) AND (locus_threads.expires_at IS NULL OR locus_threads.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')) ORDER BY locus_threads.updated_at DESC, locus_threads.thread_id
 FETCH FIRST :limit ROWS ONLY
/

-- latest.save
--   :thread_id = 'thread-1'
--   :checkpoint_id = 'checkpoint-1'
--   :state = '{"agent_id":"agent","messages":[{"role":"user","content":"hello"}]}'
--   :meta = '{"source":"review"}'
--   :search_text = 'hello'
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
--   :expires_at = NULL
MERGE INTO locus_threads USING dual ON (locus_threads.thread_id = :thread_id) WHEN MATCHED THEN UPDATE SET checkpoint_id = :checkpoint_id, state = :state, metadata = :meta, search_text = :search_text, updated_at = FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00'), expires_at = FROM_TZ(CAST(:expires_at AS TIMESTAMP), '+00:00') WHEN NOT MATCHED THEN INSERT (thread_id, checkpoint_id, state, metadata, search_text, created_at, updated_at, expires_at) VALUES (:thread_id, :checkpoint_id, :state, :meta, :search_text, FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00'), FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00'), FROM_TZ(CAST(:expires_at AS TIMESTAMP), '+00:00'))
/

-- latest.search
--   :query = '{hello} AND {world}'
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
--   :limit = 10
SELECT locus_threads.thread_id, locus_threads.checkpoint_id, locus_threads.updated_at, score(1) AS score
FROM locus_threads
WHERE contains(locus_threads.search_text, :query, 1) > 0 AND (locus_threads.expires_at IS NULL OR locus_threads.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')) ORDER BY score(1) DESC, locus_threads.updated_at DESC, locus_threads.thread_id
 FETCH FIRST :limit ROWS ONLY
/

-- latest.vacuum
--   :cutoff = TIMESTAMP '2025-12-02 00:00:00' (UTC)
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
DELETE FROM locus_threads WHERE locus_threads.updated_at < FROM_TZ(CAST(:cutoff AS TIMESTAMP), '+00:00') OR locus_threads.expires_at <= FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')
/

-- =============================================================================
-- Versioned saver and its Agent checkpointer (store.versioned())
-- =============================================================================

-- versioned.append
--   :thread = 'thread-1'
--   :ns = 'default'
--   :cid = 'v2'
--   :document = '{"messages":[]}'
--   :meta_document = '{"turn":2}'
--   :created = TIMESTAMP '2026-01-01 00:00:00' (UTC)
INSERT INTO locus_checkpoints (thread_id, checkpoint_ns, checkpoint_id, seq, parent_checkpoint_id, checkpoint, metadata, created_at) SELECT :thread AS anon_1, :ns AS anon_2, :cid AS anon_3, (SELECT coalesce(max(pos.seq), 0) + 1 AS anon_5
FROM locus_checkpoints pos
WHERE pos.thread_id = :thread AND pos.checkpoint_ns = :ns) AS anon_4, (SELECT cur.checkpoint_id
FROM locus_checkpoints cur
WHERE cur.thread_id = :thread AND cur.checkpoint_ns = :ns AND cur.seq = (SELECT max(top.seq) AS max_1
FROM locus_checkpoints top
WHERE top.thread_id = :thread AND top.checkpoint_ns = :ns)) AS anon_6, :document AS anon_7, :meta_document AS anon_8, FROM_TZ(CAST(:created AS TIMESTAMP), '+00:00') AS anon_9 FROM DUAL
/

-- versioned.copy_namespace_checkpoints
--   :dest = 'thread-2'
--   :source = 'thread-1'
--   :ns = 'default'
INSERT INTO locus_checkpoints (thread_id, checkpoint_ns, checkpoint_id, seq, parent_checkpoint_id, checkpoint, metadata, created_at) SELECT :dest AS anon_1, locus_checkpoints.checkpoint_ns, locus_checkpoints.checkpoint_id, locus_checkpoints.seq, locus_checkpoints.parent_checkpoint_id, locus_checkpoints.checkpoint, locus_checkpoints.metadata, locus_checkpoints.created_at
FROM locus_checkpoints
WHERE locus_checkpoints.thread_id = :source AND locus_checkpoints.checkpoint_ns = :ns AND NOT (EXISTS (SELECT *
FROM locus_checkpoints taken
WHERE taken.thread_id = :dest AND taken.checkpoint_ns = :ns))
/

-- versioned.copy_namespace_writes
--   :dest = 'thread-2'
--   :source = 'thread-1'
--   :ns = 'default'
INSERT INTO locus_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, value) SELECT :dest AS anon_1, locus_writes.checkpoint_ns, locus_writes.checkpoint_id, locus_writes.task_id, locus_writes.idx, locus_writes.channel, locus_writes.value
FROM locus_writes
WHERE locus_writes.thread_id = :source AND locus_writes.checkpoint_ns = :ns
/

-- versioned.copy_thread_checkpoints
--   :dest = 'thread-2'
--   :source = 'thread-1'
INSERT INTO locus_checkpoints (thread_id, checkpoint_ns, checkpoint_id, seq, parent_checkpoint_id, checkpoint, metadata, created_at) SELECT :dest AS anon_1, locus_checkpoints.checkpoint_ns, locus_checkpoints.checkpoint_id, locus_checkpoints.seq, locus_checkpoints.parent_checkpoint_id, locus_checkpoints.checkpoint, locus_checkpoints.metadata, locus_checkpoints.created_at
FROM locus_checkpoints
WHERE locus_checkpoints.thread_id = :source AND NOT (EXISTS (SELECT *
FROM locus_checkpoints taken
WHERE taken.thread_id = :dest))
/

-- versioned.copy_thread_writes
--   :dest = 'thread-2'
--   :source = 'thread-1'
INSERT INTO locus_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, value) SELECT :dest AS anon_1, locus_writes.checkpoint_ns, locus_writes.checkpoint_id, locus_writes.task_id, locus_writes.idx, locus_writes.channel, locus_writes.value
FROM locus_writes
WHERE locus_writes.thread_id = :source
/

-- versioned.delete_checkpoint
--   :thread = 'thread-1'
--   :ns = 'default'
--   :cid = 'v2'
DELETE FROM locus_checkpoints WHERE locus_checkpoints.thread_id = :thread AND locus_checkpoints.checkpoint_ns = :ns AND locus_checkpoints.checkpoint_id = :cid
/

-- versioned.delete_checkpoint_writes
--   :thread = 'thread-1'
--   :ns = 'default'
--   :cid = 'v2'
DELETE FROM locus_writes WHERE locus_writes.thread_id = :thread AND locus_writes.checkpoint_ns = :ns AND locus_writes.checkpoint_id = :cid
/

-- versioned.delete_namespace_checkpoints
--   :thread = 'thread-1'
--   :ns = 'default'
DELETE FROM locus_checkpoints WHERE locus_checkpoints.thread_id = :thread AND locus_checkpoints.checkpoint_ns = :ns
/

-- versioned.delete_namespace_writes
--   :thread = 'thread-1'
--   :ns = 'default'
DELETE FROM locus_writes WHERE locus_writes.thread_id = :thread AND locus_writes.checkpoint_ns = :ns
/

-- versioned.delete_thread_checkpoints
--   :thread = 'thread-1'
DELETE FROM locus_checkpoints WHERE locus_checkpoints.thread_id = :thread
/

-- versioned.delete_thread_writes
--   :thread = 'thread-1'
DELETE FROM locus_writes WHERE locus_writes.thread_id = :thread
/

-- versioned.history
--   :thread = 'thread-1'
--   :ns = 'default'
--   :row_limit = 10
SELECT locus_checkpoints.checkpoint_id, locus_checkpoints.parent_checkpoint_id, locus_checkpoints.checkpoint, locus_checkpoints.metadata, locus_checkpoints.created_at
FROM locus_checkpoints
WHERE locus_checkpoints.thread_id = :thread AND locus_checkpoints.checkpoint_ns = :ns ORDER BY locus_checkpoints.seq DESC
 FETCH FIRST :row_limit ROWS ONLY
/

-- versioned.history_before
--   :thread = 'thread-1'
--   :ns = 'default'
--   :before = 'v2'
--   :row_limit = 10
SELECT locus_checkpoints.checkpoint_id, locus_checkpoints.parent_checkpoint_id, locus_checkpoints.checkpoint, locus_checkpoints.metadata, locus_checkpoints.created_at
FROM locus_checkpoints
WHERE locus_checkpoints.thread_id = :thread AND locus_checkpoints.checkpoint_ns = :ns AND locus_checkpoints.seq < (SELECT mark.seq
FROM locus_checkpoints mark
WHERE mark.thread_id = :thread AND mark.checkpoint_ns = :ns AND mark.checkpoint_id = :before) ORDER BY locus_checkpoints.seq DESC
 FETCH FIRST :row_limit ROWS ONLY
/

-- versioned.list_threads
--   :ns = 'default'
--   :pattern = 'thread-%'
--   :row_limit = 10
SELECT locus_checkpoints.thread_id
FROM locus_checkpoints
WHERE locus_checkpoints.checkpoint_ns = :ns AND locus_checkpoints.thread_id LIKE :pattern ESCAPE '!' GROUP BY locus_checkpoints.thread_id ORDER BY locus_checkpoints.thread_id
 FETCH FIRST :row_limit ROWS ONLY
/

-- versioned.metadata_matches
--   :ns = 'default'
--   :param_1 = 2
--   :row_limit = 10
SELECT locus_checkpoints.thread_id, locus_checkpoints.checkpoint_id, locus_checkpoints.parent_checkpoint_id, locus_checkpoints.metadata, locus_checkpoints.created_at
FROM locus_checkpoints
WHERE locus_checkpoints.checkpoint_ns = :ns AND (JSON_VALUE(locus_checkpoints.metadata, '$."turn".type()') IN ('number', 'double', 'float') AND JSON_VALUE(locus_checkpoints.metadata, '$."turn".numberOnly()' RETURNING NUMBER NULL ON ERROR) = :param_1) ORDER BY locus_checkpoints.created_at DESC, locus_checkpoints.seq DESC
 FETCH FIRST :row_limit ROWS ONLY
/

-- versioned.named
--   :thread = 'thread-1'
--   :ns = 'default'
--   :cid = 'v2'
SELECT locus_checkpoints.checkpoint_id, locus_checkpoints.parent_checkpoint_id, locus_checkpoints.checkpoint, locus_checkpoints.metadata, locus_checkpoints.created_at
FROM locus_checkpoints
WHERE locus_checkpoints.thread_id = :thread AND locus_checkpoints.checkpoint_ns = :ns AND locus_checkpoints.checkpoint_id = :cid
/

-- versioned.namespace_exists
--   :thread = 'thread-1'
--   :ns = 'default'
SELECT 1 FROM DUAL
WHERE EXISTS (SELECT *
FROM locus_checkpoints
WHERE locus_checkpoints.thread_id = :thread AND locus_checkpoints.checkpoint_ns = :ns)
/

-- versioned.newest
--   :thread = 'thread-1'
--   :ns = 'default'
SELECT locus_checkpoints.checkpoint_id, locus_checkpoints.parent_checkpoint_id, locus_checkpoints.checkpoint, locus_checkpoints.metadata, locus_checkpoints.created_at
FROM locus_checkpoints
WHERE locus_checkpoints.thread_id = :thread AND locus_checkpoints.checkpoint_ns = :ns ORDER BY locus_checkpoints.seq DESC
 FETCH FIRST 1 ROWS ONLY
/

-- versioned.newest_ids
--   :thread = 'thread-1'
--   :ns = 'default'
--   :row_limit = 10
SELECT locus_checkpoints.checkpoint_id
FROM locus_checkpoints
WHERE locus_checkpoints.thread_id = :thread AND locus_checkpoints.checkpoint_ns = :ns ORDER BY locus_checkpoints.seq DESC
 FETCH FIRST :row_limit ROWS ONLY
/

-- versioned.put_child
--   :thread = 'thread-1'
--   :ns = 'default'
--   :cid = 'v2'
--   :document = '{"messages":[]}'
--   :meta_document = '{"turn":2}'
--   :created = TIMESTAMP '2026-01-01 00:00:00' (UTC)
--   :parent = 'v1'
INSERT INTO locus_checkpoints (thread_id, checkpoint_ns, checkpoint_id, seq, parent_checkpoint_id, checkpoint, metadata, created_at) SELECT :thread AS anon_1, :ns AS anon_2, :cid AS anon_3, (SELECT coalesce(max(pos.seq), 0) + 1 AS anon_5
FROM locus_checkpoints pos
WHERE pos.thread_id = :thread AND pos.checkpoint_ns = :ns) AS anon_4, par.checkpoint_id, :document AS anon_6, :meta_document AS anon_7, FROM_TZ(CAST(:created AS TIMESTAMP), '+00:00') AS anon_8
FROM locus_checkpoints par
WHERE par.thread_id = :thread AND par.checkpoint_ns = :ns AND par.checkpoint_id = :parent
/

-- versioned.put_root
--   :thread = 'thread-1'
--   :ns = 'default'
--   :cid = 'v2'
--   :document = '{"messages":[]}'
--   :meta_document = '{"turn":2}'
--   :created = TIMESTAMP '2026-01-01 00:00:00' (UTC)
INSERT INTO locus_checkpoints (thread_id, checkpoint_ns, checkpoint_id, seq, parent_checkpoint_id, checkpoint, metadata, created_at) SELECT :thread AS anon_1, :ns AS anon_2, :cid AS anon_3, (SELECT coalesce(max(pos.seq), 0) + 1 AS anon_5
FROM locus_checkpoints pos
WHERE pos.thread_id = :thread AND pos.checkpoint_ns = :ns) AS anon_4, NULL AS anon_6, :document AS anon_7, :meta_document AS anon_8, FROM_TZ(CAST(:created AS TIMESTAMP), '+00:00') AS anon_9 FROM DUAL
/

-- versioned.recent
--   :ns = 'default'
--   :row_limit = 10
SELECT locus_checkpoints.thread_id, locus_checkpoints.checkpoint_id, locus_checkpoints.parent_checkpoint_id, locus_checkpoints.metadata, locus_checkpoints.created_at
FROM locus_checkpoints
WHERE locus_checkpoints.checkpoint_ns = :ns ORDER BY locus_checkpoints.created_at DESC, locus_checkpoints.seq DESC
 FETCH FIRST :row_limit ROWS ONLY
/

-- versioned.splice_children
--   :thread = 'thread-1'
--   :ns = 'default'
--   :cid = 'v2'
UPDATE locus_checkpoints SET parent_checkpoint_id=(SELECT gone.parent_checkpoint_id
FROM locus_checkpoints gone
WHERE gone.thread_id = :thread AND gone.checkpoint_ns = :ns AND gone.checkpoint_id = :cid) WHERE locus_checkpoints.thread_id = :thread AND locus_checkpoints.checkpoint_ns = :ns AND locus_checkpoints.parent_checkpoint_id = :cid
/

-- versioned.task_writes
--   :thread = 'thread-1'
--   :ns = 'default'
--   :cid = 'v2'
--   :task = 'task-1'
SELECT locus_writes.task_id, locus_writes.idx, locus_writes.channel, locus_writes.value
FROM locus_writes
WHERE locus_writes.thread_id = :thread AND locus_writes.checkpoint_ns = :ns AND locus_writes.checkpoint_id = :cid AND locus_writes.task_id = :task ORDER BY locus_writes.idx
/

-- versioned.thread_exists
--   :thread = 'thread-1'
SELECT 1 FROM DUAL
WHERE EXISTS (SELECT *
FROM locus_checkpoints
WHERE locus_checkpoints.thread_id = :thread)
/

-- versioned.trim_task_writes
--   :thread = 'thread-1'
--   :ns = 'default'
--   :cid = 'v2'
--   :task = 'task-1'
--   :write_count = 1
DELETE FROM locus_writes WHERE locus_writes.thread_id = :thread AND locus_writes.checkpoint_ns = :ns AND locus_writes.checkpoint_id = :cid AND locus_writes.task_id = :task AND locus_writes.idx >= :write_count
/

-- versioned.upsert_writes
--   :thread_id = 'thread-1'
--   :checkpoint_ns = 'default'
--   :checkpoint_id = 'v2'
--   :task_id = 'task-1'
--   :idx = 0
--   :channel = 'status'
--   :value = 'investigating'
MERGE INTO locus_writes USING dual ON (locus_writes.thread_id = :thread_id AND locus_writes.checkpoint_ns = :checkpoint_ns AND locus_writes.checkpoint_id = :checkpoint_id AND locus_writes.task_id = :task_id AND locus_writes.idx = :idx) WHEN MATCHED THEN UPDATE SET channel = (SELECT :channel AS anon_1
FROM locus_checkpoints
WHERE locus_checkpoints.thread_id = :thread_id AND locus_checkpoints.checkpoint_ns = :checkpoint_ns AND locus_checkpoints.checkpoint_id = :checkpoint_id), value = :value WHEN NOT MATCHED THEN INSERT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, value) VALUES (:thread_id, :checkpoint_ns, :checkpoint_id, :task_id, :idx, (SELECT :channel AS anon_1
FROM locus_checkpoints
WHERE locus_checkpoints.thread_id = :thread_id AND locus_checkpoints.checkpoint_ns = :checkpoint_ns AND locus_checkpoints.checkpoint_id = :checkpoint_id), :value)
/

-- versioned.vacuum_checkpoints
--   :ns = 'default'
--   :cutoff = TIMESTAMP '2026-01-01 00:00:00' (UTC)
--   :keep_last = 1
DELETE FROM locus_checkpoints WHERE locus_checkpoints.checkpoint_ns = :ns AND locus_checkpoints.created_at < FROM_TZ(CAST(:cutoff AS TIMESTAMP), '+00:00') AND (SELECT count(*) AS count_1
FROM locus_checkpoints newer
WHERE newer.thread_id = locus_checkpoints.thread_id AND newer.checkpoint_ns = locus_checkpoints.checkpoint_ns AND newer.seq > locus_checkpoints.seq) >= :keep_last
/

-- versioned.vacuum_reroot
--   :ns = 'default'
UPDATE locus_checkpoints SET parent_checkpoint_id=NULL WHERE locus_checkpoints.checkpoint_ns = :ns AND locus_checkpoints.parent_checkpoint_id IS NOT NULL AND NOT (EXISTS (SELECT *
FROM locus_checkpoints kept
WHERE kept.thread_id = locus_checkpoints.thread_id AND kept.checkpoint_ns = locus_checkpoints.checkpoint_ns AND kept.checkpoint_id = locus_checkpoints.parent_checkpoint_id))
/

-- versioned.vacuum_writes
--   :ns = 'default'
--   :cutoff = TIMESTAMP '2026-01-01 00:00:00' (UTC)
--   :keep_last = 1
DELETE FROM locus_writes WHERE EXISTS (SELECT *
FROM locus_checkpoints aged
WHERE aged.thread_id = locus_writes.thread_id AND aged.checkpoint_ns = locus_writes.checkpoint_ns AND aged.checkpoint_id = locus_writes.checkpoint_id AND aged.checkpoint_ns = :ns AND aged.created_at < FROM_TZ(CAST(:cutoff AS TIMESTAMP), '+00:00') AND (SELECT count(*) AS count_1
FROM locus_checkpoints newer
WHERE newer.thread_id = aged.thread_id AND newer.checkpoint_ns = aged.checkpoint_ns AND newer.seq > aged.seq) >= :keep_last)
/

-- versioned.writes
--   :thread = 'thread-1'
--   :ns = 'default'
--   :cid = 'v2'
SELECT locus_writes.task_id, locus_writes.idx, locus_writes.channel, locus_writes.value
FROM locus_writes
WHERE locus_writes.thread_id = :thread AND locus_writes.checkpoint_ns = :ns AND locus_writes.checkpoint_id = :cid ORDER BY locus_writes.task_id, locus_writes.idx
/

-- =============================================================================
-- LangGraph saver (store.langgraph_saver())
-- =============================================================================

-- langgraph.clear_parents_by_key
--   :parent_checkpoint_id = NULL
--   :k0_thread_id = 'thread-1'
--   :k0_checkpoint_ns = ''
--   :k0_checkpoint_id = '1f0a9c3e-0000-6000-8000-000000000002'
UPDATE locus_lg_checkpoints SET parent_checkpoint_id=:parent_checkpoint_id WHERE locus_lg_checkpoints.thread_id = :k0_thread_id AND locus_lg_checkpoints.checkpoint_ns = :k0_checkpoint_ns AND locus_lg_checkpoints.checkpoint_id = :k0_checkpoint_id
/

-- langgraph.copy_thread_blobs
--   :target = 'thread-2'
--   :source = 'thread-1'
INSERT INTO locus_lg_blobs (thread_id, checkpoint_ns, channel, version, value_type, value) SELECT :target AS thread_id, src.checkpoint_ns, src.channel, src.version, src.value_type, src.value
FROM locus_lg_blobs src
WHERE src.thread_id = :source AND NOT (EXISTS (SELECT *
FROM locus_lg_blobs dst
WHERE dst.thread_id = :target AND dst.checkpoint_ns = src.checkpoint_ns AND dst.channel = src.channel AND dst.version = src.version))
/

-- langgraph.copy_thread_checkpoints
--   :target = 'thread-2'
--   :source = 'thread-1'
INSERT INTO locus_lg_checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, run_id, checkpoint_type, checkpoint, channel_versions, metadata, created_at, expires_at) SELECT :target AS thread_id, src.checkpoint_ns, src.checkpoint_id, src.parent_checkpoint_id, src.run_id, src.checkpoint_type, src.checkpoint, src.channel_versions, src.metadata, src.created_at, src.expires_at
FROM locus_lg_checkpoints src
WHERE src.thread_id = :source AND NOT (EXISTS (SELECT *
FROM locus_lg_checkpoints dst
WHERE dst.thread_id = :target AND dst.checkpoint_ns = src.checkpoint_ns AND dst.checkpoint_id = src.checkpoint_id))
/

-- langgraph.copy_thread_writes
--   :target = 'thread-2'
--   :source = 'thread-1'
INSERT INTO locus_lg_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, value_type, value, task_path) SELECT :target AS thread_id, src.checkpoint_ns, src.checkpoint_id, src.task_id, src.idx, src.channel, src.value_type, src.value, src.task_path
FROM locus_lg_writes src
WHERE src.thread_id = :source AND NOT (EXISTS (SELECT *
FROM locus_lg_writes dst
WHERE dst.thread_id = :target AND dst.checkpoint_ns = src.checkpoint_ns AND dst.checkpoint_id = src.checkpoint_id AND dst.task_id = src.task_id AND dst.idx = src.idx))
/

-- langgraph.count_writes_by_key
--   :k0_thread_id = 'thread-1'
--   :k0_checkpoint_ns = ''
--   :k0_checkpoint_id = '1f0a9c3e-0000-6000-8000-000000000002'
SELECT count(*) AS count_1
FROM locus_lg_writes
WHERE locus_lg_writes.thread_id = :k0_thread_id AND locus_lg_writes.checkpoint_ns = :k0_checkpoint_ns AND locus_lg_writes.checkpoint_id = :k0_checkpoint_id
/

-- langgraph.delete_blobs_by_key
--   :k0_thread_id = 'thread-1'
--   :k0_checkpoint_ns = ''
--   :k0_channel = 'messages'
--   :k0_version = '00000000000000000000000000000002.0123456789012345'
--   :k1_thread_id = 'thread-1'
--   :k1_checkpoint_ns = ''
--   :k1_channel = 'a'
--   :k1_version = '00000000000000000000000000000002.0123456789012345'
DELETE FROM locus_lg_blobs WHERE locus_lg_blobs.thread_id = :k0_thread_id AND locus_lg_blobs.checkpoint_ns = :k0_checkpoint_ns AND locus_lg_blobs.channel = :k0_channel AND locus_lg_blobs.version = :k0_version OR locus_lg_blobs.thread_id = :k1_thread_id AND locus_lg_blobs.checkpoint_ns = :k1_checkpoint_ns AND locus_lg_blobs.channel = :k1_channel AND locus_lg_blobs.version = :k1_version
/

-- langgraph.delete_checkpoints_by_key
--   :k0_thread_id = 'thread-1'
--   :k0_checkpoint_ns = ''
--   :k0_checkpoint_id = '1f0a9c3e-0000-6000-8000-000000000002'
DELETE FROM locus_lg_checkpoints WHERE locus_lg_checkpoints.thread_id = :k0_thread_id AND locus_lg_checkpoints.checkpoint_ns = :k0_checkpoint_ns AND locus_lg_checkpoints.checkpoint_id = :k0_checkpoint_id
/

-- langgraph.delete_thread_blobs
--   :thread_ids_1 = 'thread-1'
DELETE FROM locus_lg_blobs WHERE locus_lg_blobs.thread_id IN (:thread_ids_1)
/

-- langgraph.delete_thread_checkpoints
--   :thread_ids_1 = 'thread-1'
DELETE FROM locus_lg_checkpoints WHERE locus_lg_checkpoints.thread_id IN (:thread_ids_1)
/

-- langgraph.delete_thread_writes
--   :thread_ids_1 = 'thread-1'
DELETE FROM locus_lg_writes WHERE locus_lg_writes.thread_id IN (:thread_ids_1)
/

-- langgraph.delete_values_of_erased_thread
--   :thread_id = 'thread-1'
DELETE FROM locus_lg_blobs WHERE locus_lg_blobs.thread_id = :thread_id AND NOT (EXISTS (SELECT *
FROM locus_lg_checkpoints
WHERE locus_lg_checkpoints.thread_id = :thread_id))
/

-- langgraph.delete_writes_by_key
--   :k0_thread_id = 'thread-1'
--   :k0_checkpoint_ns = ''
--   :k0_checkpoint_id = '1f0a9c3e-0000-6000-8000-000000000002'
DELETE FROM locus_lg_writes WHERE locus_lg_writes.thread_id = :k0_thread_id AND locus_lg_writes.checkpoint_ns = :k0_checkpoint_ns AND locus_lg_writes.checkpoint_id = :k0_checkpoint_id
/

-- langgraph.get_blob_types
--   :k0_thread_id = 'thread-1'
--   :k0_checkpoint_ns = ''
--   :k0_channel = 'messages'
--   :k0_version = '00000000000000000000000000000002.0123456789012345'
SELECT locus_lg_blobs.thread_id, locus_lg_blobs.checkpoint_ns, locus_lg_blobs.channel, locus_lg_blobs.version, locus_lg_blobs.value_type
FROM locus_lg_blobs
WHERE locus_lg_blobs.thread_id = :k0_thread_id AND locus_lg_blobs.checkpoint_ns = :k0_checkpoint_ns AND locus_lg_blobs.channel = :k0_channel AND locus_lg_blobs.version = :k0_version
/

-- langgraph.get_checkpoint
--   :thread_id = 'thread-1'
--   :checkpoint_ns = ''
--   :checkpoint_id = '1f0a9c3e-0000-6000-8000-000000000002'
WITH cur AS
(SELECT locus_lg_checkpoints.thread_id AS thread_id, locus_lg_checkpoints.checkpoint_ns AS checkpoint_ns, locus_lg_checkpoints.checkpoint_id AS checkpoint_id, locus_lg_checkpoints.parent_checkpoint_id AS parent_checkpoint_id, locus_lg_checkpoints.checkpoint_type AS checkpoint_type, locus_lg_checkpoints.checkpoint AS checkpoint, locus_lg_checkpoints.metadata AS metadata, locus_lg_checkpoints.channel_versions AS channel_versions
FROM locus_lg_checkpoints
WHERE locus_lg_checkpoints.thread_id = :thread_id AND locus_lg_checkpoints.checkpoint_ns = :checkpoint_ns AND locus_lg_checkpoints.checkpoint_id = :checkpoint_id)
 SELECT 0 AS kind, cur.thread_id, cur.checkpoint_ns, cur.checkpoint_id, cur.parent_checkpoint_id, CAST(NULL AS VARCHAR2(255 CHAR)) AS task_id, CAST(NULL AS INTEGER) AS idx, CAST(NULL AS VARCHAR2(2000 CHAR)) AS task_path, CAST(NULL AS VARCHAR2(255 CHAR)) AS channel, CAST(NULL AS VARCHAR2(255 CHAR)) AS version, cur.checkpoint_type AS value_type, cur.checkpoint AS value, cur.metadata AS metadata
FROM cur UNION ALL SELECT 1, locus_lg_writes.thread_id, locus_lg_writes.checkpoint_ns, locus_lg_writes.checkpoint_id, NULL AS anon_1, locus_lg_writes.task_id, locus_lg_writes.idx, locus_lg_writes.task_path, locus_lg_writes.channel, NULL AS anon__1, locus_lg_writes.value_type, locus_lg_writes.value, NULL AS anon__2
FROM locus_lg_writes, cur
WHERE locus_lg_writes.thread_id = cur.thread_id AND locus_lg_writes.checkpoint_ns = cur.checkpoint_ns AND locus_lg_writes.checkpoint_id = cur.checkpoint_id UNION ALL SELECT 2, locus_lg_blobs.thread_id, locus_lg_blobs.checkpoint_ns, NULL AS anon_1, NULL AS anon__1, NULL AS anon__2, NULL AS anon__3, NULL AS anon__4, locus_lg_blobs.channel, locus_lg_blobs.version, locus_lg_blobs.value_type, locus_lg_blobs.value, NULL AS anon__5
FROM cur JOIN JSON_TABLE(cur.channel_versions, '$[*]' COLUMNS (channel VARCHAR2(255 CHAR) PATH '$[0]', version VARCHAR2(255 CHAR) PATH '$[1]')) pairs ON 1 = 1 LEFT OUTER JOIN locus_lg_blobs ON locus_lg_blobs.thread_id = cur.thread_id AND locus_lg_blobs.checkpoint_ns = cur.checkpoint_ns AND locus_lg_blobs.channel = pairs.channel AND locus_lg_blobs.version = pairs.version
/

-- langgraph.get_checkpoints_by_key
--   :k0_thread_id = 'thread-1'
--   :k0_checkpoint_ns = ''
--   :k0_checkpoint_id = '1f0a9c3e-0000-6000-8000-000000000002'
SELECT locus_lg_checkpoints.thread_id, locus_lg_checkpoints.checkpoint_ns, locus_lg_checkpoints.checkpoint_id, locus_lg_checkpoints.parent_checkpoint_id, locus_lg_checkpoints.checkpoint_type, locus_lg_checkpoints.checkpoint, locus_lg_checkpoints.metadata, locus_lg_checkpoints.channel_versions
FROM locus_lg_checkpoints
WHERE locus_lg_checkpoints.thread_id = :k0_thread_id AND locus_lg_checkpoints.checkpoint_ns = :k0_checkpoint_ns AND locus_lg_checkpoints.checkpoint_id = :k0_checkpoint_id
/

-- langgraph.get_delta_channel_history
--   :thread_id = 'thread-1'
--   :checkpoint_ns = ''
--   :checkpoint_id = '1f0a9c3e-0000-6000-8000-000000000002'
--   :channels_1 = 'messages'
--   :channels_2 = 'files'
WITH lineage(thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, channel_versions, distance, most_steps) AS
(SELECT locus_lg_checkpoints.thread_id AS thread_id, locus_lg_checkpoints.checkpoint_ns AS checkpoint_ns, locus_lg_checkpoints.checkpoint_id AS checkpoint_id, locus_lg_checkpoints.parent_checkpoint_id AS parent_checkpoint_id, locus_lg_checkpoints.channel_versions AS channel_versions, 0 AS distance, (SELECT count(*) AS count_1
FROM locus_lg_checkpoints counted
WHERE counted.thread_id = :thread_id AND counted.checkpoint_ns = :checkpoint_ns) AS most_steps
FROM locus_lg_checkpoints
WHERE locus_lg_checkpoints.thread_id = :thread_id AND locus_lg_checkpoints.checkpoint_ns = :checkpoint_ns AND locus_lg_checkpoints.checkpoint_id = :checkpoint_id UNION ALL SELECT parent.thread_id AS thread_id, parent.checkpoint_ns AS checkpoint_ns, parent.checkpoint_id AS checkpoint_id, parent.parent_checkpoint_id AS parent_checkpoint_id, parent.channel_versions AS channel_versions, lineage.distance + 1 AS distance, lineage.most_steps AS most_steps
FROM locus_lg_checkpoints parent, lineage
WHERE parent.thread_id = lineage.thread_id AND parent.checkpoint_ns = lineage.checkpoint_ns AND parent.checkpoint_id = lineage.parent_checkpoint_id AND lineage.distance < lineage.most_steps),
stored AS
(SELECT lineage.checkpoint_id AS checkpoint_id, lineage.distance AS distance, locus_lg_blobs.channel AS channel, locus_lg_blobs.value_type AS value_type, locus_lg_blobs.value AS value
FROM lineage JOIN JSON_TABLE(lineage.channel_versions, '$[*]' COLUMNS (channel VARCHAR2(255 CHAR) PATH '$[0]', version VARCHAR2(255 CHAR) PATH '$[1]')) pairs ON 1 = 1 LEFT OUTER JOIN locus_lg_blobs ON locus_lg_blobs.thread_id = lineage.thread_id AND locus_lg_blobs.checkpoint_ns = lineage.checkpoint_ns AND locus_lg_blobs.channel = pairs.channel AND locus_lg_blobs.version = pairs.version AND locus_lg_blobs.value_type != 'empty'
WHERE lineage.distance > 0 AND pairs.channel IN (:channels_1, :channels_2)),
nearest AS
(SELECT stored.channel AS channel, min(stored.distance) AS distance
FROM stored
WHERE stored.channel IS NOT NULL GROUP BY stored.channel)
 SELECT 0 AS kind, stored.checkpoint_id, stored.distance, CAST(NULL AS VARCHAR2(255 CHAR)) AS task_id, CAST(NULL AS INTEGER) AS idx, CAST(NULL AS VARCHAR2(2000 CHAR)) AS task_path, stored.channel, stored.value_type, stored.value
FROM stored JOIN nearest ON nearest.channel = stored.channel AND nearest.distance = stored.distance UNION ALL SELECT 1, lineage.checkpoint_id, lineage.distance, locus_lg_writes.task_id, locus_lg_writes.idx, locus_lg_writes.task_path, locus_lg_writes.channel, locus_lg_writes.value_type, locus_lg_writes.value
FROM lineage JOIN locus_lg_writes ON locus_lg_writes.thread_id = lineage.thread_id AND locus_lg_writes.checkpoint_ns = lineage.checkpoint_ns AND locus_lg_writes.checkpoint_id = lineage.checkpoint_id AND locus_lg_writes.channel IN (:channels_1, :channels_2) LEFT OUTER JOIN nearest ON nearest.channel = locus_lg_writes.channel
WHERE lineage.distance > 0 AND (nearest.distance IS NULL OR lineage.distance <= nearest.distance)
/

-- langgraph.get_delta_marked
--   :thread_ids_1 = 'thread-1'
SELECT DISTINCT locus_lg_checkpoints.thread_id, locus_lg_checkpoints.checkpoint_ns
FROM locus_lg_checkpoints
WHERE locus_lg_checkpoints.thread_id IN (:thread_ids_1) AND JSON_EXISTS(locus_lg_checkpoints.metadata, '$."delta_writes_versioned"')
/

-- langgraph.get_group_blob_keys
--   :k0_thread_id = 'thread-1'
--   :k0_checkpoint_ns = ''
SELECT locus_lg_blobs.thread_id, locus_lg_blobs.checkpoint_ns, locus_lg_blobs.channel, locus_lg_blobs.version
FROM locus_lg_blobs
WHERE locus_lg_blobs.thread_id = :k0_thread_id AND locus_lg_blobs.checkpoint_ns = :k0_checkpoint_ns
/

-- langgraph.get_group_checkpoints
--   :k0_thread_id = 'thread-1'
--   :k0_checkpoint_ns = ''
SELECT locus_lg_checkpoints.thread_id, locus_lg_checkpoints.checkpoint_ns, locus_lg_checkpoints.checkpoint_id, locus_lg_checkpoints.parent_checkpoint_id, locus_lg_checkpoints.checkpoint_type, locus_lg_checkpoints.checkpoint, locus_lg_checkpoints.metadata, locus_lg_checkpoints.channel_versions
FROM locus_lg_checkpoints
WHERE locus_lg_checkpoints.thread_id = :k0_thread_id AND locus_lg_checkpoints.checkpoint_ns = :k0_checkpoint_ns
/

-- langgraph.get_interrupted
--   :channel_1 = '__interrupt__'
--   :thread_ids_1 = 'thread-1'
SELECT DISTINCT locus_lg_writes.thread_id, locus_lg_writes.checkpoint_ns, locus_lg_writes.checkpoint_id
FROM locus_lg_writes
WHERE locus_lg_writes.thread_id IN (:thread_ids_1) AND locus_lg_writes.channel = :channel_1
/

-- langgraph.get_latest_checkpoint
--   :thread_id = 'thread-1'
--   :checkpoint_ns = ''
WITH cur AS
(SELECT locus_lg_checkpoints.thread_id AS thread_id, locus_lg_checkpoints.checkpoint_ns AS checkpoint_ns, locus_lg_checkpoints.checkpoint_id AS checkpoint_id, locus_lg_checkpoints.parent_checkpoint_id AS parent_checkpoint_id, locus_lg_checkpoints.checkpoint_type AS checkpoint_type, locus_lg_checkpoints.checkpoint AS checkpoint, locus_lg_checkpoints.metadata AS metadata, locus_lg_checkpoints.channel_versions AS channel_versions
FROM locus_lg_checkpoints
WHERE locus_lg_checkpoints.thread_id = :thread_id AND locus_lg_checkpoints.checkpoint_ns = :checkpoint_ns ORDER BY locus_lg_checkpoints.checkpoint_id DESC
 FETCH FIRST 1 ROWS ONLY)
 SELECT 0 AS kind, cur.thread_id, cur.checkpoint_ns, cur.checkpoint_id, cur.parent_checkpoint_id, CAST(NULL AS VARCHAR2(255 CHAR)) AS task_id, CAST(NULL AS INTEGER) AS idx, CAST(NULL AS VARCHAR2(2000 CHAR)) AS task_path, CAST(NULL AS VARCHAR2(255 CHAR)) AS channel, CAST(NULL AS VARCHAR2(255 CHAR)) AS version, cur.checkpoint_type AS value_type, cur.checkpoint AS value, cur.metadata AS metadata
FROM cur UNION ALL SELECT 1, locus_lg_writes.thread_id, locus_lg_writes.checkpoint_ns, locus_lg_writes.checkpoint_id, NULL AS anon_1, locus_lg_writes.task_id, locus_lg_writes.idx, locus_lg_writes.task_path, locus_lg_writes.channel, NULL AS anon__1, locus_lg_writes.value_type, locus_lg_writes.value, NULL AS anon__2
FROM locus_lg_writes, cur
WHERE locus_lg_writes.thread_id = cur.thread_id AND locus_lg_writes.checkpoint_ns = cur.checkpoint_ns AND locus_lg_writes.checkpoint_id = cur.checkpoint_id UNION ALL SELECT 2, locus_lg_blobs.thread_id, locus_lg_blobs.checkpoint_ns, NULL AS anon_1, NULL AS anon__1, NULL AS anon__2, NULL AS anon__3, NULL AS anon__4, locus_lg_blobs.channel, locus_lg_blobs.version, locus_lg_blobs.value_type, locus_lg_blobs.value, NULL AS anon__5
FROM cur JOIN JSON_TABLE(cur.channel_versions, '$[*]' COLUMNS (channel VARCHAR2(255 CHAR) PATH '$[0]', version VARCHAR2(255 CHAR) PATH '$[1]')) pairs ON 1 = 1 LEFT OUTER JOIN locus_lg_blobs ON locus_lg_blobs.thread_id = cur.thread_id AND locus_lg_blobs.checkpoint_ns = cur.checkpoint_ns AND locus_lg_blobs.channel = pairs.channel AND locus_lg_blobs.version = pairs.version
/

-- langgraph.get_latest_delta_channel_history
--   :thread_id = 'thread-1'
--   :checkpoint_ns = ''
--   :channels_1 = 'messages'
WITH lineage(thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, channel_versions, distance, most_steps) AS
(SELECT locus_lg_checkpoints.thread_id AS thread_id, locus_lg_checkpoints.checkpoint_ns AS checkpoint_ns, locus_lg_checkpoints.checkpoint_id AS checkpoint_id, locus_lg_checkpoints.parent_checkpoint_id AS parent_checkpoint_id, locus_lg_checkpoints.channel_versions AS channel_versions, 0 AS distance, (SELECT count(*) AS count_1
FROM locus_lg_checkpoints counted
WHERE counted.thread_id = :thread_id AND counted.checkpoint_ns = :checkpoint_ns) AS most_steps
FROM locus_lg_checkpoints
WHERE locus_lg_checkpoints.thread_id = :thread_id AND locus_lg_checkpoints.checkpoint_ns = :checkpoint_ns AND locus_lg_checkpoints.checkpoint_id = (SELECT max(counted.checkpoint_id) AS max_1
FROM locus_lg_checkpoints counted
WHERE counted.thread_id = :thread_id AND counted.checkpoint_ns = :checkpoint_ns) UNION ALL SELECT parent.thread_id AS thread_id, parent.checkpoint_ns AS checkpoint_ns, parent.checkpoint_id AS checkpoint_id, parent.parent_checkpoint_id AS parent_checkpoint_id, parent.channel_versions AS channel_versions, lineage.distance + 1 AS distance, lineage.most_steps AS most_steps
FROM locus_lg_checkpoints parent, lineage
WHERE parent.thread_id = lineage.thread_id AND parent.checkpoint_ns = lineage.checkpoint_ns AND parent.checkpoint_id = lineage.parent_checkpoint_id AND lineage.distance < lineage.most_steps),
stored AS
(SELECT lineage.checkpoint_id AS checkpoint_id, lineage.distance AS distance, locus_lg_blobs.channel AS channel, locus_lg_blobs.value_type AS value_type, locus_lg_blobs.value AS value
FROM lineage JOIN JSON_TABLE(lineage.channel_versions, '$[*]' COLUMNS (channel VARCHAR2(255 CHAR) PATH '$[0]', version VARCHAR2(255 CHAR) PATH '$[1]')) pairs ON 1 = 1 LEFT OUTER JOIN locus_lg_blobs ON locus_lg_blobs.thread_id = lineage.thread_id AND locus_lg_blobs.checkpoint_ns = lineage.checkpoint_ns AND locus_lg_blobs.channel = pairs.channel AND locus_lg_blobs.version = pairs.version AND locus_lg_blobs.value_type != 'empty'
WHERE lineage.distance > 0 AND pairs.channel IN (:channels_1)),
nearest AS
(SELECT stored.channel AS channel, min(stored.distance) AS distance
FROM stored
WHERE stored.channel IS NOT NULL GROUP BY stored.channel)
 SELECT 0 AS kind, stored.checkpoint_id, stored.distance, CAST(NULL AS VARCHAR2(255 CHAR)) AS task_id, CAST(NULL AS INTEGER) AS idx, CAST(NULL AS VARCHAR2(2000 CHAR)) AS task_path, stored.channel, stored.value_type, stored.value
FROM stored JOIN nearest ON nearest.channel = stored.channel AND nearest.distance = stored.distance UNION ALL SELECT 1, lineage.checkpoint_id, lineage.distance, locus_lg_writes.task_id, locus_lg_writes.idx, locus_lg_writes.task_path, locus_lg_writes.channel, locus_lg_writes.value_type, locus_lg_writes.value
FROM lineage JOIN locus_lg_writes ON locus_lg_writes.thread_id = lineage.thread_id AND locus_lg_writes.checkpoint_ns = lineage.checkpoint_ns AND locus_lg_writes.checkpoint_id = lineage.checkpoint_id AND locus_lg_writes.channel IN (:channels_1) LEFT OUTER JOIN nearest ON nearest.channel = locus_lg_writes.channel
WHERE lineage.distance > 0 AND (nearest.distance IS NULL OR lineage.distance <= nearest.distance)
/

-- langgraph.get_lineage
--   :thread_ids_1 = 'thread-1'
SELECT locus_lg_checkpoints.thread_id, locus_lg_checkpoints.checkpoint_ns, locus_lg_checkpoints.checkpoint_id, locus_lg_checkpoints.parent_checkpoint_id
FROM locus_lg_checkpoints
WHERE locus_lg_checkpoints.thread_id IN (:thread_ids_1)
/

-- langgraph.get_run_checkpoints
--   :run_ids_1 = 'run-1'
--   :run_ids_2 = 'run-2'
SELECT locus_lg_checkpoints.thread_id, locus_lg_checkpoints.checkpoint_ns, locus_lg_checkpoints.checkpoint_id, locus_lg_checkpoints.parent_checkpoint_id, locus_lg_checkpoints.checkpoint_type, locus_lg_checkpoints.checkpoint, locus_lg_checkpoints.metadata, locus_lg_checkpoints.channel_versions
FROM locus_lg_checkpoints
WHERE locus_lg_checkpoints.run_id IN (:run_ids_1, :run_ids_2)
/

-- langgraph.list_all_threads_page
--   :param_1 = 'true'
WITH cur AS
(SELECT locus_lg_checkpoints.thread_id AS thread_id, locus_lg_checkpoints.checkpoint_ns AS checkpoint_ns, locus_lg_checkpoints.checkpoint_id AS checkpoint_id, locus_lg_checkpoints.parent_checkpoint_id AS parent_checkpoint_id, locus_lg_checkpoints.checkpoint_type AS checkpoint_type, locus_lg_checkpoints.checkpoint AS checkpoint, locus_lg_checkpoints.metadata AS metadata, locus_lg_checkpoints.channel_versions AS channel_versions
FROM locus_lg_checkpoints
WHERE (JSON_VALUE(locus_lg_checkpoints.metadata, '$."flag".type()') IN ('boolean') AND JSON_VALUE(locus_lg_checkpoints.metadata, '$."flag".booleanOnly()') = :param_1) ORDER BY locus_lg_checkpoints.checkpoint_id DESC, locus_lg_checkpoints.thread_id DESC, locus_lg_checkpoints.checkpoint_ns DESC
 FETCH FIRST 50 ROWS ONLY)
 SELECT 0 AS kind, cur.thread_id, cur.checkpoint_ns, cur.checkpoint_id, cur.parent_checkpoint_id, CAST(NULL AS VARCHAR2(255 CHAR)) AS task_id, CAST(NULL AS INTEGER) AS idx, CAST(NULL AS VARCHAR2(2000 CHAR)) AS task_path, CAST(NULL AS VARCHAR2(255 CHAR)) AS channel, CAST(NULL AS VARCHAR2(255 CHAR)) AS version, cur.checkpoint_type AS value_type, cur.checkpoint AS value, cur.metadata AS metadata
FROM cur UNION ALL SELECT 1, locus_lg_writes.thread_id, locus_lg_writes.checkpoint_ns, locus_lg_writes.checkpoint_id, NULL AS anon_1, locus_lg_writes.task_id, locus_lg_writes.idx, locus_lg_writes.task_path, locus_lg_writes.channel, NULL AS anon__1, locus_lg_writes.value_type, locus_lg_writes.value, NULL AS anon__2
FROM locus_lg_writes, cur
WHERE locus_lg_writes.thread_id = cur.thread_id AND locus_lg_writes.checkpoint_ns = cur.checkpoint_ns AND locus_lg_writes.checkpoint_id = cur.checkpoint_id UNION ALL SELECT 2, locus_lg_blobs.thread_id, locus_lg_blobs.checkpoint_ns, NULL AS anon_1, NULL AS anon__1, NULL AS anon__2, NULL AS anon__3, NULL AS anon__4, locus_lg_blobs.channel, locus_lg_blobs.version, locus_lg_blobs.value_type, locus_lg_blobs.value, NULL AS anon__5
FROM cur JOIN JSON_TABLE(cur.channel_versions, '$[*]' COLUMNS (channel VARCHAR2(255 CHAR) PATH '$[0]', version VARCHAR2(255 CHAR) PATH '$[1]')) pairs ON 1 = 1 LEFT OUTER JOIN locus_lg_blobs ON locus_lg_blobs.thread_id = cur.thread_id AND locus_lg_blobs.checkpoint_ns = cur.checkpoint_ns AND locus_lg_blobs.channel = pairs.channel AND locus_lg_blobs.version = pairs.version ORDER BY kind, checkpoint_id DESC, thread_id DESC, checkpoint_ns DESC
/

-- langgraph.list_page
--   :thread_id = 'thread-1'
--   :checkpoint_ns = ''
--   :before_id = '1f0a9c3e-0000-6000-8000-000000000002'
--   :param_1 = 'loop'
--   :param_2 = 1
--   :param_3 = '1f0a9c3e-0000-6000-8000-000000000002'
--   :c_id = '1f0a9c3e-0000-6000-8000-000000000002'
--   :c_thread = 'thread-1'
--   :c_ns = ''
WITH cur AS
(SELECT locus_lg_checkpoints.thread_id AS thread_id, locus_lg_checkpoints.checkpoint_ns AS checkpoint_ns, locus_lg_checkpoints.checkpoint_id AS checkpoint_id, locus_lg_checkpoints.parent_checkpoint_id AS parent_checkpoint_id, locus_lg_checkpoints.checkpoint_type AS checkpoint_type, locus_lg_checkpoints.checkpoint AS checkpoint, locus_lg_checkpoints.metadata AS metadata, locus_lg_checkpoints.channel_versions AS channel_versions
FROM locus_lg_checkpoints
WHERE locus_lg_checkpoints.thread_id = :thread_id AND locus_lg_checkpoints.checkpoint_ns = :checkpoint_ns AND locus_lg_checkpoints.checkpoint_id < :before_id AND (JSON_VALUE(locus_lg_checkpoints.metadata, '$."source".type()') IN ('string') AND JSON_VALUE(locus_lg_checkpoints.metadata, '$."source".stringOnly()' RETURNING VARCHAR2(4000) NULL ON ERROR) = :param_1) AND (JSON_VALUE(locus_lg_checkpoints.metadata, '$."step".type()') IN ('number', 'double', 'float') AND JSON_VALUE(locus_lg_checkpoints.metadata, '$."step".numberOnly()' RETURNING NUMBER NULL ON ERROR) = :param_2) AND (JSON_VALUE(locus_lg_checkpoints.metadata, '$."parents"."p".type()') IN ('string') AND JSON_VALUE(locus_lg_checkpoints.metadata, '$."parents"."p".stringOnly()' RETURNING VARCHAR2(4000) NULL ON ERROR) = :param_3) AND (JSON_VALUE(locus_lg_checkpoints.metadata, '$."missing".type()') IS NULL OR JSON_VALUE(locus_lg_checkpoints.metadata, '$."missing".type()') = 'null') AND (locus_lg_checkpoints.checkpoint_id < :c_id OR locus_lg_checkpoints.checkpoint_id = :c_id AND (locus_lg_checkpoints.thread_id < :c_thread OR locus_lg_checkpoints.thread_id = :c_thread AND locus_lg_checkpoints.checkpoint_ns < :c_ns)) ORDER BY locus_lg_checkpoints.checkpoint_id DESC, locus_lg_checkpoints.thread_id DESC, locus_lg_checkpoints.checkpoint_ns DESC
 FETCH FIRST 50 ROWS ONLY)
 SELECT 0 AS kind, cur.thread_id, cur.checkpoint_ns, cur.checkpoint_id, cur.parent_checkpoint_id, CAST(NULL AS VARCHAR2(255 CHAR)) AS task_id, CAST(NULL AS INTEGER) AS idx, CAST(NULL AS VARCHAR2(2000 CHAR)) AS task_path, CAST(NULL AS VARCHAR2(255 CHAR)) AS channel, CAST(NULL AS VARCHAR2(255 CHAR)) AS version, cur.checkpoint_type AS value_type, cur.checkpoint AS value, cur.metadata AS metadata
FROM cur UNION ALL SELECT 1, locus_lg_writes.thread_id, locus_lg_writes.checkpoint_ns, locus_lg_writes.checkpoint_id, NULL AS anon_1, locus_lg_writes.task_id, locus_lg_writes.idx, locus_lg_writes.task_path, locus_lg_writes.channel, NULL AS anon__1, locus_lg_writes.value_type, locus_lg_writes.value, NULL AS anon__2
FROM locus_lg_writes, cur
WHERE locus_lg_writes.thread_id = cur.thread_id AND locus_lg_writes.checkpoint_ns = cur.checkpoint_ns AND locus_lg_writes.checkpoint_id = cur.checkpoint_id UNION ALL SELECT 2, locus_lg_blobs.thread_id, locus_lg_blobs.checkpoint_ns, NULL AS anon_1, NULL AS anon__1, NULL AS anon__2, NULL AS anon__3, NULL AS anon__4, locus_lg_blobs.channel, locus_lg_blobs.version, locus_lg_blobs.value_type, locus_lg_blobs.value, NULL AS anon__5
FROM cur JOIN JSON_TABLE(cur.channel_versions, '$[*]' COLUMNS (channel VARCHAR2(255 CHAR) PATH '$[0]', version VARCHAR2(255 CHAR) PATH '$[1]')) pairs ON 1 = 1 LEFT OUTER JOIN locus_lg_blobs ON locus_lg_blobs.thread_id = cur.thread_id AND locus_lg_blobs.checkpoint_ns = cur.checkpoint_ns AND locus_lg_blobs.channel = pairs.channel AND locus_lg_blobs.version = pairs.version ORDER BY kind, checkpoint_id DESC, thread_id DESC, checkpoint_ns DESC
/

-- langgraph.put_blobs
--   :thread_id = 'thread-1'
--   :checkpoint_ns = ''
--   :channel = 'messages'
--   :version = '00000000000000000000000000000002.0123456789012345'
--   :value_type = 'msgpack'
--   :value = HEXTORAW('90')
INSERT /*+ IGNORE_ROW_ON_DUPKEY_INDEX(locus_lg_blobs, locus_lg_blobs_pk) */ INTO locus_lg_blobs (thread_id, checkpoint_ns, channel, version, value_type, value) VALUES (:thread_id, :checkpoint_ns, :channel, :version, :value_type, :value)
/

-- langgraph.put_checkpoint
--   :thread_id = 'thread-1'
--   :checkpoint_ns = ''
--   :checkpoint_id = '1f0a9c3e-0000-6000-8000-000000000002'
--   :parent_checkpoint_id = '1f0a9c3e-0000-6000-8000-000000000001'
--   :run_id = 'run-1'
--   :checkpoint_type = 'msgpack'
--   :checkpoint = HEXTORAW('80')
--   :channel_versions = '[["messages","00000000000000000000000000000002.0123456789012345"]]'
--   :metadata = '{"source":"loop","step":1}'
--   :created_at = TIMESTAMP '2026-11-24 12:00:00' (UTC)
--   :expires_at = TIMESTAMP '2026-11-25 12:00:00' (UTC)
INSERT /*+ IGNORE_ROW_ON_DUPKEY_INDEX(locus_lg_checkpoints, locus_lg_checkpoints_pk) */ INTO locus_lg_checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, run_id, checkpoint_type, checkpoint, channel_versions, metadata, created_at, expires_at) VALUES (:thread_id, :checkpoint_ns, :checkpoint_id, :parent_checkpoint_id, :run_id, :checkpoint_type, :checkpoint, :channel_versions, :metadata, FROM_TZ(CAST(:created_at AS TIMESTAMP), '+00:00'), FROM_TZ(CAST(:expires_at AS TIMESTAMP), '+00:00'))
/

-- langgraph.put_checkpoint_replace
--   :new_run_id = 'run-1'
--   :new_checkpoint_type = 'msgpack'
--   :new_checkpoint = HEXTORAW('80')
--   :new_channel_versions = '[["messages","00000000000000000000000000000002.0123456789012345"]]'
--   :new_metadata = '{"source":"loop","step":1}'
--   :new_expires_at = TIMESTAMP '2026-11-25 12:00:00' (UTC)
--   :key_thread_id = 'thread-1'
--   :key_checkpoint_ns = ''
--   :key_checkpoint_id = '1f0a9c3e-0000-6000-8000-000000000002'
UPDATE locus_lg_checkpoints SET run_id=:new_run_id, checkpoint_type=:new_checkpoint_type, checkpoint=:new_checkpoint, channel_versions=:new_channel_versions, metadata=:new_metadata, expires_at=FROM_TZ(CAST(:new_expires_at AS TIMESTAMP), '+00:00') WHERE locus_lg_checkpoints.thread_id = :key_thread_id AND locus_lg_checkpoints.checkpoint_ns = :key_checkpoint_ns AND locus_lg_checkpoints.checkpoint_id = :key_checkpoint_id
/

-- langgraph.put_child_checkpoint
--   :thread_id = 'thread-1'
--   :checkpoint_ns = ''
--   :checkpoint_id = '1f0a9c3e-0000-6000-8000-000000000002'
--   :parent_checkpoint_id = '1f0a9c3e-0000-6000-8000-000000000001'
--   :run_id = 'run-1'
--   :child_type = 'msgpack'
--   :child_of_thread = 'thread-1'
--   :checkpoint = HEXTORAW('80')
--   :channel_versions = '[["messages","00000000000000000000000000000002.0123456789012345"]]'
--   :metadata = '{"source":"loop","step":1}'
--   :created_at = TIMESTAMP '2026-11-24 12:00:00' (UTC)
--   :expires_at = TIMESTAMP '2026-11-25 12:00:00' (UTC)
INSERT /*+ IGNORE_ROW_ON_DUPKEY_INDEX(locus_lg_checkpoints, locus_lg_checkpoints_pk) */ INTO locus_lg_checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, run_id, checkpoint_type, checkpoint, channel_versions, metadata, created_at, expires_at) VALUES (:thread_id, :checkpoint_ns, :checkpoint_id, :parent_checkpoint_id, :run_id, (SELECT :child_type AS anon_1 FROM DUAL
WHERE EXISTS (SELECT *
FROM locus_lg_checkpoints
WHERE locus_lg_checkpoints.thread_id = :child_of_thread)), :checkpoint, :channel_versions, :metadata, FROM_TZ(CAST(:created_at AS TIMESTAMP), '+00:00'), FROM_TZ(CAST(:expires_at AS TIMESTAMP), '+00:00'))
/

-- langgraph.put_writes
--   :thread_id = 'thread-1'
--   :checkpoint_ns = ''
--   :checkpoint_id = '1f0a9c3e-0000-6000-8000-000000000002'
--   :task_id = 'task-1'
--   :idx = 0
--   :channel = 'messages'
--   :value_type = 'msgpack'
--   :value = HEXTORAW('90')
--   :task_path = '~__pregel_pull, agent'
INSERT /*+ IGNORE_ROW_ON_DUPKEY_INDEX(locus_lg_writes, locus_lg_writes_pk) */ INTO locus_lg_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, value_type, value, task_path) SELECT :thread_id AS thread_id, :checkpoint_ns AS checkpoint_ns, :checkpoint_id AS checkpoint_id, :task_id AS task_id, :idx AS idx, :channel AS channel, (SELECT :value_type AS anon_1 FROM DUAL
WHERE EXISTS (SELECT *
FROM locus_lg_checkpoints
WHERE locus_lg_checkpoints.thread_id = :thread_id)) AS value_type, :value AS value, :task_path AS task_path FROM DUAL
/

-- langgraph.replace_special_writes
--   :thread_id = 'thread-1'
--   :checkpoint_ns = ''
--   :checkpoint_id = '1f0a9c3e-0000-6000-8000-000000000002'
--   :task_id = 'task-1'
--   :idxs_1 = -1
--   :idxs_2 = -3
DELETE FROM locus_lg_writes WHERE locus_lg_writes.thread_id = :thread_id AND locus_lg_writes.checkpoint_ns = :checkpoint_ns AND locus_lg_writes.checkpoint_id = :checkpoint_id AND locus_lg_writes.task_id = :task_id AND locus_lg_writes.idx IN (:idxs_1, :idxs_2)
/

-- =============================================================================
-- Erasing a thread (store.erase_thread())
-- =============================================================================

-- erasure.count_checkpoints
--   :thread_id = 'thread-1'
SELECT count(*) AS count_1
FROM locus_checkpoints
WHERE locus_checkpoints.thread_id = :thread_id
/

-- erasure.count_langgraph_blobs
--   :thread_id = 'thread-1'
SELECT count(*) AS count_1
FROM locus_lg_blobs
WHERE locus_lg_blobs.thread_id = :thread_id
/

-- erasure.count_langgraph_checkpoints
--   :thread_id = 'thread-1'
SELECT count(*) AS count_1
FROM locus_lg_checkpoints
WHERE locus_lg_checkpoints.thread_id = :thread_id
/

-- erasure.count_langgraph_writes
--   :thread_id = 'thread-1'
SELECT count(*) AS count_1
FROM locus_lg_writes
WHERE locus_lg_writes.thread_id = :thread_id
/

-- erasure.count_threads
--   :thread_id = 'thread-1'
SELECT count(*) AS count_1
FROM locus_threads
WHERE locus_threads.thread_id = :thread_id
/

-- erasure.count_writes
--   :thread_id = 'thread-1'
SELECT count(*) AS count_1
FROM locus_writes
WHERE locus_writes.thread_id = :thread_id
/

-- erasure.delete_checkpoints
--   :thread_id = 'thread-1'
DELETE FROM locus_checkpoints WHERE locus_checkpoints.thread_id = :thread_id
/

-- erasure.delete_langgraph_blobs
--   :thread_id = 'thread-1'
DELETE FROM locus_lg_blobs WHERE locus_lg_blobs.thread_id = :thread_id
/

-- erasure.delete_langgraph_checkpoints
--   :thread_id = 'thread-1'
DELETE FROM locus_lg_checkpoints WHERE locus_lg_checkpoints.thread_id = :thread_id
/

-- erasure.delete_langgraph_writes
--   :thread_id = 'thread-1'
DELETE FROM locus_lg_writes WHERE locus_lg_writes.thread_id = :thread_id
/

-- erasure.delete_threads
--   :thread_id = 'thread-1'
DELETE FROM locus_threads WHERE locus_threads.thread_id = :thread_id
/

-- erasure.delete_writes
--   :thread_id = 'thread-1'
DELETE FROM locus_writes WHERE locus_writes.thread_id = :thread_id
/

-- =============================================================================
-- Long-term memory (store.memory(), store.langgraph_store()); searches in sample shapes
-- =============================================================================

-- memory.clear_namespace
--   :namespace = 'users/u1'
DELETE FROM locus_memory_items WHERE locus_memory_items.namespace = :namespace
/

-- memory.clear_namespace_vectors
--   :namespace = 'users/u1'
DELETE FROM locus_memory_vectors WHERE locus_memory_vectors.namespace = :namespace
/

-- memory.config
--   :id_1 = 1
SELECT locus_memory_config.vectors, locus_memory_config.dims, locus_memory_config.distance
FROM locus_memory_config
WHERE locus_memory_config.id = :id_1
/

-- memory.count_expired
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
SELECT count(*) AS count_1
FROM locus_memory_items
WHERE locus_memory_items.expires_at <= FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')
/

-- memory.count_stale_vectors
SELECT count(*) AS count_1
FROM locus_memory_vectors
WHERE NOT (EXISTS (SELECT *
FROM locus_memory_items
WHERE locus_memory_vectors.namespace = locus_memory_items.namespace AND locus_memory_vectors.key = locus_memory_items.key AND locus_memory_vectors.stamp = locus_memory_items.stamp))
/

-- memory.delete
--   :namespace = 'users/u1'
--   :key = 'k'
DELETE FROM locus_memory_items WHERE locus_memory_items.namespace = :namespace AND locus_memory_items.key = :key
/

-- memory.embeddings
--   :namespace = 'users/u1'
--   :key = 'k'
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
SELECT locus_memory_vectors.field, locus_memory_vectors.embedding
FROM locus_memory_vectors JOIN locus_memory_items ON locus_memory_vectors.namespace = locus_memory_items.namespace AND locus_memory_vectors.key = locus_memory_items.key
WHERE locus_memory_vectors.namespace = :namespace AND locus_memory_vectors.key = :key AND locus_memory_vectors.namespace = locus_memory_items.namespace AND locus_memory_vectors.key = locus_memory_items.key AND locus_memory_vectors.stamp = locus_memory_items.stamp AND (locus_memory_items.expires_at IS NULL OR locus_memory_items.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')) ORDER BY locus_memory_vectors.field
/

-- memory.expired_namespaces
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
SELECT DISTINCT locus_memory_items.namespace
FROM locus_memory_items
WHERE locus_memory_items.expires_at <= FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')
/

-- memory.get
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
--   :namespaces_1 = 'users/u1'
--   :keys_1 = 'k'
SELECT locus_memory_items.namespace, locus_memory_items.key, locus_memory_items.value, locus_memory_items.metadata, locus_memory_items.created_at, locus_memory_items.updated_at, locus_memory_items.expires_at, locus_memory_items.version, locus_memory_items.ttl_seconds
FROM locus_memory_items
WHERE locus_memory_items.namespace IN (:namespaces_1) AND locus_memory_items.key IN (:keys_1) AND (locus_memory_items.expires_at IS NULL OR locus_memory_items.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00'))
/

-- memory.get_one
--   :namespace = 'users/u1'
--   :key = 'k'
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
SELECT locus_memory_items.namespace, locus_memory_items.key, locus_memory_items.value, locus_memory_items.metadata, locus_memory_items.created_at, locus_memory_items.updated_at, locus_memory_items.expires_at, locus_memory_items.version, locus_memory_items.ttl_seconds
FROM locus_memory_items
WHERE locus_memory_items.namespace = :namespace AND locus_memory_items.key = :key AND (locus_memory_items.expires_at IS NULL OR locus_memory_items.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00'))
/

-- memory.get_value
--   :namespace = 'users/u1'
--   :key = 'k'
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
SELECT locus_memory_items.value
FROM locus_memory_items
WHERE locus_memory_items.namespace = :namespace AND locus_memory_items.key = :key AND (locus_memory_items.expires_at IS NULL OR locus_memory_items.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00'))
/

-- memory.keys
--   :namespace = 'users/u1'
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
--   :limit = 10
SELECT locus_memory_items.key
FROM locus_memory_items
WHERE locus_memory_items.namespace = :namespace AND (locus_memory_items.expires_at IS NULL OR locus_memory_items.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')) ORDER BY locus_memory_items.updated_at DESC, locus_memory_items.key
 FETCH FIRST :limit ROWS ONLY
/

-- memory.list_1_namespace
--   :param_1 = 0
--   :ns_0 = 'users/u1'
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
--   :offset = 0
--   :limit = 10
SELECT locus_memory_items.namespace, locus_memory_items.key, locus_memory_items.value, locus_memory_items.metadata, locus_memory_items.created_at, locus_memory_items.updated_at, locus_memory_items.expires_at, locus_memory_items.version, locus_memory_items.ttl_seconds, :param_1 AS branch
FROM locus_memory_items
WHERE locus_memory_items.namespace = :ns_0 AND (locus_memory_items.expires_at IS NULL OR locus_memory_items.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')) ORDER BY locus_memory_items.updated_at DESC, locus_memory_items.namespace, locus_memory_items.key
 OFFSET :offset ROWS
 FETCH FIRST :limit ROWS ONLY
/

-- memory.list_3_namespaces
--   :param_1 = 0
--   :ns_0 = 'users/u1'
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
--   :offset = 0
--   :limit = 10
--   :param_2 = 1
--   :ns_1 = 'users/u2'
--   :param_3 = 2
--   :ns_2 = 'teams/t1'
SELECT anon_1.namespace, anon_1.key, anon_1.value, anon_1.metadata, anon_1.created_at, anon_1.updated_at, anon_1.expires_at, anon_1.version, anon_1.ttl_seconds, anon_1.branch
FROM (SELECT anon_2.namespace AS namespace, anon_2.key AS key, anon_2.value AS value, anon_2.metadata AS metadata, anon_2.created_at AS created_at, anon_2.updated_at AS updated_at, anon_2.expires_at AS expires_at, anon_2.version AS version, anon_2.ttl_seconds AS ttl_seconds, anon_2.branch AS branch
FROM (SELECT locus_memory_items.namespace AS namespace, locus_memory_items.key AS key, locus_memory_items.value AS value, locus_memory_items.metadata AS metadata, locus_memory_items.created_at AS created_at, locus_memory_items.updated_at AS updated_at, locus_memory_items.expires_at AS expires_at, locus_memory_items.version AS version, locus_memory_items.ttl_seconds AS ttl_seconds, :param_1 AS branch
FROM locus_memory_items
WHERE locus_memory_items.namespace = :ns_0 AND (locus_memory_items.expires_at IS NULL OR locus_memory_items.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')) ORDER BY locus_memory_items.updated_at DESC, locus_memory_items.namespace, locus_memory_items.key
 OFFSET :offset ROWS
 FETCH FIRST :limit ROWS ONLY) anon_2 UNION ALL SELECT anon_3.namespace AS namespace, anon_3.key AS key, anon_3.value AS value, anon_3.metadata AS metadata, anon_3.created_at AS created_at, anon_3.updated_at AS updated_at, anon_3.expires_at AS expires_at, anon_3.version AS version, anon_3.ttl_seconds AS ttl_seconds, anon_3.branch AS branch
FROM (SELECT locus_memory_items.namespace AS namespace, locus_memory_items.key AS key, locus_memory_items.value AS value, locus_memory_items.metadata AS metadata, locus_memory_items.created_at AS created_at, locus_memory_items.updated_at AS updated_at, locus_memory_items.expires_at AS expires_at, locus_memory_items.version AS version, locus_memory_items.ttl_seconds AS ttl_seconds, :param_2 AS branch
FROM locus_memory_items
WHERE locus_memory_items.namespace = :ns_1 AND (locus_memory_items.expires_at IS NULL OR locus_memory_items.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')) ORDER BY locus_memory_items.updated_at DESC, locus_memory_items.namespace, locus_memory_items.key
 OFFSET :offset ROWS
 FETCH FIRST :limit ROWS ONLY) anon_3 UNION ALL SELECT anon_4.namespace AS namespace, anon_4.key AS key, anon_4.value AS value, anon_4.metadata AS metadata, anon_4.created_at AS created_at, anon_4.updated_at AS updated_at, anon_4.expires_at AS expires_at, anon_4.version AS version, anon_4.ttl_seconds AS ttl_seconds, anon_4.branch AS branch
FROM (SELECT locus_memory_items.namespace AS namespace, locus_memory_items.key AS key, locus_memory_items.value AS value, locus_memory_items.metadata AS metadata, locus_memory_items.created_at AS created_at, locus_memory_items.updated_at AS updated_at, locus_memory_items.expires_at AS expires_at, locus_memory_items.version AS version, locus_memory_items.ttl_seconds AS ttl_seconds, :param_3 AS branch
FROM locus_memory_items
WHERE locus_memory_items.namespace = :ns_2 AND (locus_memory_items.expires_at IS NULL OR locus_memory_items.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')) ORDER BY locus_memory_items.updated_at DESC, locus_memory_items.namespace, locus_memory_items.key
 OFFSET :offset ROWS
 FETCH FIRST :limit ROWS ONLY) anon_4) anon_1 ORDER BY anon_1.branch, anon_1.updated_at DESC, anon_1.namespace, anon_1.key
/

-- memory.list_prefix_and_filter
--   :param_1 = 0
--   :ns_0 = 'users/u1'
--   :below_0 = 'users/u1/%'
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
--   :param_2 = 'billing'
--   :offset = 0
--   :limit = 10
SELECT locus_memory_items.namespace, locus_memory_items.key, locus_memory_items.value, locus_memory_items.metadata, locus_memory_items.created_at, locus_memory_items.updated_at, locus_memory_items.expires_at, locus_memory_items.version, locus_memory_items.ttl_seconds, :param_1 AS branch
FROM locus_memory_items
WHERE (locus_memory_items.namespace = :ns_0 OR locus_memory_items.namespace LIKE :below_0 ESCAPE '!') AND (locus_memory_items.expires_at IS NULL OR locus_memory_items.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')) AND (JSON_VALUE(locus_memory_items.metadata, '$."topic".type()') IN ('string') AND JSON_VALUE(locus_memory_items.metadata, '$."topic".stringOnly()' RETURNING VARCHAR2(4000) NULL ON ERROR) = :param_2) ORDER BY locus_memory_items.updated_at DESC, locus_memory_items.namespace, locus_memory_items.key
 OFFSET :offset ROWS
 FETCH FIRST :limit ROWS ONLY
/

-- memory.namespaces
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
SELECT DISTINCT locus_memory_items.namespace
FROM locus_memory_items
WHERE locus_memory_items.expires_at IS NULL OR locus_memory_items.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00') ORDER BY locus_memory_items.namespace
/

-- memory.namespaces_under
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
--   :namespace = 'users/u1'
--   :below = 'users/u1/%'
SELECT DISTINCT locus_memory_items.namespace
FROM locus_memory_items
WHERE (locus_memory_items.expires_at IS NULL OR locus_memory_items.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')) AND (locus_memory_items.namespace = :namespace OR locus_memory_items.namespace LIKE :below ESCAPE '!') ORDER BY locus_memory_items.namespace
/

-- memory.put
--   :namespace = 'users/u1'
--   :key = 'k'
--   :value = '{"text":"billing address changed"}'
--   :meta = '{"topic":"billing"}'
--   :search_text = 'billing address changed'
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
--   :expires_at = NULL
--   :ttl_seconds = NULL
--   :stamp = '5f0c3b1e9a7d4c2e8b6a1f0e3d2c1b0a'
--   :version_1 = 1
--   :param_1 = 1
MERGE INTO locus_memory_items USING dual ON (locus_memory_items.namespace = :namespace AND locus_memory_items.key = :key) WHEN MATCHED THEN UPDATE SET value = :value, metadata = :meta, search_text = :search_text, updated_at = FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00'), expires_at = FROM_TZ(CAST(:expires_at AS TIMESTAMP), '+00:00'), ttl_seconds = :ttl_seconds, stamp = :stamp, version = locus_memory_items.version + :version_1 WHEN NOT MATCHED THEN INSERT (namespace, key, value, metadata, search_text, created_at, updated_at, expires_at, ttl_seconds, version, stamp) VALUES (:namespace, :key, :value, :meta, :search_text, FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00'), FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00'), FROM_TZ(CAST(:expires_at AS TIMESTAMP), '+00:00'), :ttl_seconds, :param_1, :stamp)
/

-- memory.put_vector
--   :namespace = 'users/u1'
--   :key = 'k'
--   :field = '$'
--   :stamp = '5f0c3b1e9a7d4c2e8b6a1f0e3d2c1b0a'
--   :embedding = array('f'): a VECTOR of 1536 FLOAT32
MERGE INTO locus_memory_vectors USING dual ON (locus_memory_vectors.namespace = :namespace AND locus_memory_vectors.key = :key AND locus_memory_vectors.field = :field) WHEN MATCHED THEN UPDATE SET stamp = :stamp, embedding = :embedding WHEN NOT MATCHED THEN INSERT (namespace, key, field, stamp, embedding) VALUES (:namespace, :key, :field, :stamp, :embedding)
/

-- memory.refresh
--   :new_expires_at = TIMESTAMP '2026-01-02 00:00:00' (UTC)
--   :item_namespace = 'users/u1'
--   :item_key = 'k'
UPDATE locus_memory_items SET expires_at=FROM_TZ(CAST(:new_expires_at AS TIMESTAMP), '+00:00') WHERE locus_memory_items.namespace = :item_namespace AND locus_memory_items.key = :item_key AND locus_memory_items.ttl_seconds IS NOT NULL
/

-- memory.sweep
--   :namespace = 'users/u1'
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
DELETE FROM locus_memory_items WHERE locus_memory_items.namespace = :namespace AND locus_memory_items.expires_at <= FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')
/

-- memory.sweep_vectors
DELETE FROM locus_memory_vectors WHERE NOT (EXISTS (SELECT *
FROM locus_memory_items
WHERE locus_memory_vectors.namespace = locus_memory_items.namespace AND locus_memory_vectors.key = locus_memory_items.key AND locus_memory_vectors.stamp = locus_memory_items.stamp))
/

-- memory.text_search_1_namespace
--   :param_1 = 0
--   :query = '{billing} AND {address}'
--   :ns_0 = 'users/u1'
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
--   :offset = 0
--   :limit = 10
SELECT locus_memory_items.namespace, locus_memory_items.key, locus_memory_items.value, locus_memory_items.metadata, locus_memory_items.created_at, locus_memory_items.updated_at, locus_memory_items.expires_at, locus_memory_items.version, locus_memory_items.ttl_seconds, :param_1 AS branch, score(1) AS score
FROM locus_memory_items
WHERE contains(locus_memory_items.search_text, :query, 1) > 0 AND locus_memory_items.namespace = :ns_0 AND (locus_memory_items.expires_at IS NULL OR locus_memory_items.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')) ORDER BY score(1) DESC, locus_memory_items.updated_at DESC, locus_memory_items.key
 OFFSET :offset ROWS
 FETCH FIRST :limit ROWS ONLY
/

-- memory.text_search_3_namespaces
--   :param_1 = 0
--   :query = '{billing} AND {address}'
--   :ns_0 = 'users/u1'
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
--   :offset = 0
--   :limit = 10
--   :param_2 = 1
--   :ns_1 = 'users/u2'
--   :param_3 = 2
--   :ns_2 = 'teams/t1'
SELECT anon_1.namespace, anon_1.key, anon_1.value, anon_1.metadata, anon_1.created_at, anon_1.updated_at, anon_1.expires_at, anon_1.version, anon_1.ttl_seconds, anon_1.branch, anon_1.score
FROM (SELECT anon_2.namespace AS namespace, anon_2.key AS key, anon_2.value AS value, anon_2.metadata AS metadata, anon_2.created_at AS created_at, anon_2.updated_at AS updated_at, anon_2.expires_at AS expires_at, anon_2.version AS version, anon_2.ttl_seconds AS ttl_seconds, anon_2.branch AS branch, anon_2.score AS score
FROM (SELECT locus_memory_items.namespace AS namespace, locus_memory_items.key AS key, locus_memory_items.value AS value, locus_memory_items.metadata AS metadata, locus_memory_items.created_at AS created_at, locus_memory_items.updated_at AS updated_at, locus_memory_items.expires_at AS expires_at, locus_memory_items.version AS version, locus_memory_items.ttl_seconds AS ttl_seconds, :param_1 AS branch, score(1) AS score
FROM locus_memory_items
WHERE contains(locus_memory_items.search_text, :query, 1) > 0 AND locus_memory_items.namespace = :ns_0 AND (locus_memory_items.expires_at IS NULL OR locus_memory_items.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')) ORDER BY score(1) DESC, locus_memory_items.updated_at DESC, locus_memory_items.key
 OFFSET :offset ROWS
 FETCH FIRST :limit ROWS ONLY) anon_2 UNION ALL SELECT anon_3.namespace AS namespace, anon_3.key AS key, anon_3.value AS value, anon_3.metadata AS metadata, anon_3.created_at AS created_at, anon_3.updated_at AS updated_at, anon_3.expires_at AS expires_at, anon_3.version AS version, anon_3.ttl_seconds AS ttl_seconds, anon_3.branch AS branch, anon_3.score AS score
FROM (SELECT locus_memory_items.namespace AS namespace, locus_memory_items.key AS key, locus_memory_items.value AS value, locus_memory_items.metadata AS metadata, locus_memory_items.created_at AS created_at, locus_memory_items.updated_at AS updated_at, locus_memory_items.expires_at AS expires_at, locus_memory_items.version AS version, locus_memory_items.ttl_seconds AS ttl_seconds, :param_2 AS branch, score(1) AS score
FROM locus_memory_items
WHERE contains(locus_memory_items.search_text, :query, 1) > 0 AND locus_memory_items.namespace = :ns_1 AND (locus_memory_items.expires_at IS NULL OR locus_memory_items.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')) ORDER BY score(1) DESC, locus_memory_items.updated_at DESC, locus_memory_items.key
 OFFSET :offset ROWS
 FETCH FIRST :limit ROWS ONLY) anon_3 UNION ALL SELECT anon_4.namespace AS namespace, anon_4.key AS key, anon_4.value AS value, anon_4.metadata AS metadata, anon_4.created_at AS created_at, anon_4.updated_at AS updated_at, anon_4.expires_at AS expires_at, anon_4.version AS version, anon_4.ttl_seconds AS ttl_seconds, anon_4.branch AS branch, anon_4.score AS score
FROM (SELECT locus_memory_items.namespace AS namespace, locus_memory_items.key AS key, locus_memory_items.value AS value, locus_memory_items.metadata AS metadata, locus_memory_items.created_at AS created_at, locus_memory_items.updated_at AS updated_at, locus_memory_items.expires_at AS expires_at, locus_memory_items.version AS version, locus_memory_items.ttl_seconds AS ttl_seconds, :param_3 AS branch, score(1) AS score
FROM locus_memory_items
WHERE contains(locus_memory_items.search_text, :query, 1) > 0 AND locus_memory_items.namespace = :ns_2 AND (locus_memory_items.expires_at IS NULL OR locus_memory_items.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')) ORDER BY score(1) DESC, locus_memory_items.updated_at DESC, locus_memory_items.key
 OFFSET :offset ROWS
 FETCH FIRST :limit ROWS ONLY) anon_4) anon_1 ORDER BY anon_1.branch, anon_1.score DESC, anon_1.updated_at DESC, anon_1.key
/

-- memory.text_search_prefix_and_filter
--   :param_1 = 0
--   :query = '{billing} AND {address}'
--   :ns_0 = 'users/u1'
--   :below_0 = 'users/u1/%'
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
--   :param_2 = 'billing'
--   :offset = 0
--   :limit = 10
SELECT locus_memory_items.namespace, locus_memory_items.key, locus_memory_items.value, locus_memory_items.metadata, locus_memory_items.created_at, locus_memory_items.updated_at, locus_memory_items.expires_at, locus_memory_items.version, locus_memory_items.ttl_seconds, :param_1 AS branch, score(1) AS score
FROM locus_memory_items
WHERE contains(locus_memory_items.search_text, :query, 1) > 0 AND (locus_memory_items.namespace = :ns_0 OR locus_memory_items.namespace LIKE :below_0 ESCAPE '!') AND (locus_memory_items.expires_at IS NULL OR locus_memory_items.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')) AND (JSON_VALUE(locus_memory_items.metadata, '$."topic".type()') IN ('string') AND JSON_VALUE(locus_memory_items.metadata, '$."topic".stringOnly()' RETURNING VARCHAR2(4000) NULL ON ERROR) = :param_2) ORDER BY score(1) DESC, locus_memory_items.updated_at DESC, locus_memory_items.key
 OFFSET :offset ROWS
 FETCH FIRST :limit ROWS ONLY
/

-- memory.vector_search_1_namespace
--   :param_1 = 0
--   :vector = array('f'): a VECTOR of 1536 FLOAT32
--   :ns_0 = 'users/u1'
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
--   :fetch = 20
SELECT locus_memory_items.namespace, locus_memory_items.key, locus_memory_items.value, locus_memory_items.metadata, locus_memory_items.created_at, locus_memory_items.updated_at, locus_memory_items.expires_at, locus_memory_items.version, locus_memory_items.ttl_seconds, :param_1 AS branch, locus_memory_vectors.field, vector_distance(locus_memory_vectors.embedding, :vector, COSINE) AS distance
FROM locus_memory_vectors JOIN locus_memory_items ON locus_memory_vectors.namespace = locus_memory_items.namespace AND locus_memory_vectors.key = locus_memory_items.key AND locus_memory_vectors.stamp = locus_memory_items.stamp
WHERE locus_memory_vectors.namespace = :ns_0 AND (locus_memory_items.expires_at IS NULL OR locus_memory_items.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')) ORDER BY vector_distance(locus_memory_vectors.embedding, :vector, COSINE)
 FETCH APPROX FIRST :fetch ROWS ONLY
/

-- memory.vector_search_1_namespace_dot
--   :param_1 = 0
--   :vector = array('f'): a VECTOR of 1536 FLOAT32
--   :ns_0 = 'users/u1'
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
--   :fetch = 20
SELECT locus_memory_items.namespace, locus_memory_items.key, locus_memory_items.value, locus_memory_items.metadata, locus_memory_items.created_at, locus_memory_items.updated_at, locus_memory_items.expires_at, locus_memory_items.version, locus_memory_items.ttl_seconds, :param_1 AS branch, locus_memory_vectors.field, vector_distance(locus_memory_vectors.embedding, :vector, DOT) AS distance
FROM locus_memory_vectors JOIN locus_memory_items ON locus_memory_vectors.namespace = locus_memory_items.namespace AND locus_memory_vectors.key = locus_memory_items.key AND locus_memory_vectors.stamp = locus_memory_items.stamp
WHERE locus_memory_vectors.namespace = :ns_0 AND (locus_memory_items.expires_at IS NULL OR locus_memory_items.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')) ORDER BY vector_distance(locus_memory_vectors.embedding, :vector, DOT)
 FETCH APPROX FIRST :fetch ROWS ONLY
/

-- memory.vector_search_1_namespace_l2
--   :param_1 = 0
--   :vector = array('f'): a VECTOR of 1536 FLOAT32
--   :ns_0 = 'users/u1'
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
--   :fetch = 20
SELECT locus_memory_items.namespace, locus_memory_items.key, locus_memory_items.value, locus_memory_items.metadata, locus_memory_items.created_at, locus_memory_items.updated_at, locus_memory_items.expires_at, locus_memory_items.version, locus_memory_items.ttl_seconds, :param_1 AS branch, locus_memory_vectors.field, vector_distance(locus_memory_vectors.embedding, :vector, EUCLIDEAN) AS distance
FROM locus_memory_vectors JOIN locus_memory_items ON locus_memory_vectors.namespace = locus_memory_items.namespace AND locus_memory_vectors.key = locus_memory_items.key AND locus_memory_vectors.stamp = locus_memory_items.stamp
WHERE locus_memory_vectors.namespace = :ns_0 AND (locus_memory_items.expires_at IS NULL OR locus_memory_items.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')) ORDER BY vector_distance(locus_memory_vectors.embedding, :vector, EUCLIDEAN)
 FETCH APPROX FIRST :fetch ROWS ONLY
/

-- memory.vector_search_3_namespaces
--   :param_1 = 0
--   :vector = array('f'): a VECTOR of 1536 FLOAT32
--   :ns_0 = 'users/u1'
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
--   :fetch = 20
--   :param_2 = 1
--   :ns_1 = 'users/u2'
--   :param_3 = 2
--   :ns_2 = 'teams/t1'
SELECT anon_1.namespace, anon_1.key, anon_1.value, anon_1.metadata, anon_1.created_at, anon_1.updated_at, anon_1.expires_at, anon_1.version, anon_1.ttl_seconds, anon_1.branch, anon_1.field, anon_1.distance
FROM (SELECT anon_2.namespace AS namespace, anon_2.key AS key, anon_2.value AS value, anon_2.metadata AS metadata, anon_2.created_at AS created_at, anon_2.updated_at AS updated_at, anon_2.expires_at AS expires_at, anon_2.version AS version, anon_2.ttl_seconds AS ttl_seconds, anon_2.branch AS branch, anon_2.field AS field, anon_2.distance AS distance
FROM (SELECT locus_memory_items.namespace AS namespace, locus_memory_items.key AS key, locus_memory_items.value AS value, locus_memory_items.metadata AS metadata, locus_memory_items.created_at AS created_at, locus_memory_items.updated_at AS updated_at, locus_memory_items.expires_at AS expires_at, locus_memory_items.version AS version, locus_memory_items.ttl_seconds AS ttl_seconds, :param_1 AS branch, locus_memory_vectors.field AS field, vector_distance(locus_memory_vectors.embedding, :vector, COSINE) AS distance
FROM locus_memory_vectors JOIN locus_memory_items ON locus_memory_vectors.namespace = locus_memory_items.namespace AND locus_memory_vectors.key = locus_memory_items.key AND locus_memory_vectors.stamp = locus_memory_items.stamp
WHERE locus_memory_vectors.namespace = :ns_0 AND (locus_memory_items.expires_at IS NULL OR locus_memory_items.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')) ORDER BY vector_distance(locus_memory_vectors.embedding, :vector, COSINE)
 FETCH APPROX FIRST :fetch ROWS ONLY) anon_2 UNION ALL SELECT anon_3.namespace AS namespace, anon_3.key AS key, anon_3.value AS value, anon_3.metadata AS metadata, anon_3.created_at AS created_at, anon_3.updated_at AS updated_at, anon_3.expires_at AS expires_at, anon_3.version AS version, anon_3.ttl_seconds AS ttl_seconds, anon_3.branch AS branch, anon_3.field AS field, anon_3.distance AS distance
FROM (SELECT locus_memory_items.namespace AS namespace, locus_memory_items.key AS key, locus_memory_items.value AS value, locus_memory_items.metadata AS metadata, locus_memory_items.created_at AS created_at, locus_memory_items.updated_at AS updated_at, locus_memory_items.expires_at AS expires_at, locus_memory_items.version AS version, locus_memory_items.ttl_seconds AS ttl_seconds, :param_2 AS branch, locus_memory_vectors.field AS field, vector_distance(locus_memory_vectors.embedding, :vector, COSINE) AS distance
FROM locus_memory_vectors JOIN locus_memory_items ON locus_memory_vectors.namespace = locus_memory_items.namespace AND locus_memory_vectors.key = locus_memory_items.key AND locus_memory_vectors.stamp = locus_memory_items.stamp
WHERE locus_memory_vectors.namespace = :ns_1 AND (locus_memory_items.expires_at IS NULL OR locus_memory_items.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')) ORDER BY vector_distance(locus_memory_vectors.embedding, :vector, COSINE)
 FETCH APPROX FIRST :fetch ROWS ONLY) anon_3 UNION ALL SELECT anon_4.namespace AS namespace, anon_4.key AS key, anon_4.value AS value, anon_4.metadata AS metadata, anon_4.created_at AS created_at, anon_4.updated_at AS updated_at, anon_4.expires_at AS expires_at, anon_4.version AS version, anon_4.ttl_seconds AS ttl_seconds, anon_4.branch AS branch, anon_4.field AS field, anon_4.distance AS distance
FROM (SELECT locus_memory_items.namespace AS namespace, locus_memory_items.key AS key, locus_memory_items.value AS value, locus_memory_items.metadata AS metadata, locus_memory_items.created_at AS created_at, locus_memory_items.updated_at AS updated_at, locus_memory_items.expires_at AS expires_at, locus_memory_items.version AS version, locus_memory_items.ttl_seconds AS ttl_seconds, :param_3 AS branch, locus_memory_vectors.field AS field, vector_distance(locus_memory_vectors.embedding, :vector, COSINE) AS distance
FROM locus_memory_vectors JOIN locus_memory_items ON locus_memory_vectors.namespace = locus_memory_items.namespace AND locus_memory_vectors.key = locus_memory_items.key AND locus_memory_vectors.stamp = locus_memory_items.stamp
WHERE locus_memory_vectors.namespace = :ns_2 AND (locus_memory_items.expires_at IS NULL OR locus_memory_items.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')) ORDER BY vector_distance(locus_memory_vectors.embedding, :vector, COSINE)
 FETCH APPROX FIRST :fetch ROWS ONLY) anon_4) anon_1 ORDER BY anon_1.branch, anon_1.distance
/

-- memory.vector_search_prefix_and_filter
--   :param_1 = 0
--   :vector = array('f'): a VECTOR of 1536 FLOAT32
--   :ns_0 = 'users/u1'
--   :below_0 = 'users/u1/%'
--   :now = TIMESTAMP '2026-01-01 00:00:00' (UTC)
--   :param_2 = 'billing'
--   :fetch = 20
SELECT locus_memory_items.namespace, locus_memory_items.key, locus_memory_items.value, locus_memory_items.metadata, locus_memory_items.created_at, locus_memory_items.updated_at, locus_memory_items.expires_at, locus_memory_items.version, locus_memory_items.ttl_seconds, :param_1 AS branch, locus_memory_vectors.field, vector_distance(locus_memory_vectors.embedding, :vector, COSINE) AS distance
FROM locus_memory_vectors JOIN locus_memory_items ON locus_memory_vectors.namespace = locus_memory_items.namespace AND locus_memory_vectors.key = locus_memory_items.key AND locus_memory_vectors.stamp = locus_memory_items.stamp
WHERE (locus_memory_vectors.namespace = :ns_0 OR locus_memory_vectors.namespace LIKE :below_0 ESCAPE '!') AND (locus_memory_items.expires_at IS NULL OR locus_memory_items.expires_at > FROM_TZ(CAST(:now AS TIMESTAMP), '+00:00')) AND (JSON_VALUE(locus_memory_items.metadata, '$."topic".type()') IN ('string') AND JSON_VALUE(locus_memory_items.metadata, '$."topic".stringOnly()' RETURNING VARCHAR2(4000) NULL ON ERROR) = :param_2) ORDER BY vector_distance(locus_memory_vectors.embedding, :vector, COSINE)
 FETCH APPROX FIRST :fetch ROWS ONLY
/
