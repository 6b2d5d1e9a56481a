import GRDB

/// The results database's schema, created and upgraded by migrations (SPEC §4).
///
/// Each migration is append-only: a released migration never changes, so a database can be
/// upgraded in place from any earlier version, and one written by a newer consentry is
/// recognised by the migrations it has that this version does not know.
enum Schema {
    /// `verdicts_readable` (SPEC §4): one row per track, policy and use, decoded from the
    /// packed rows of schema v3 (``VerdictRowCode``).
    static let verdictsReadableView = """
        CREATE VIEW verdicts_readable AS
            SELECT v.run_id AS run_id,
                   p.policy_id AS policy_id,
                   v.track_id AS track_id,
                   CASE (v.packed >> 32) & 3 WHEN 0 THEN 'major' WHEN 1 THEN 'licensed'
                        WHEN 2 THEN 'independent' ELSE 'unknown' END AS label_status,
                   u.name AS use,
                   CASE (v.packed >> (8 * u.use_index)) & 3 WHEN 0 THEN 'exposed'
                        WHEN 1 THEN 'consented' ELSE 'blocked' END AS verdict,
                   r.rule_id AS rule_id
            FROM verdicts v
            JOIN run_policies p ON p.run_id = v.run_id AND p.policy_index = v.packed >> 34
            CROSS JOIN ai_uses u
            JOIN policy_rules r ON r.run_id = v.run_id AND r.policy_index = v.packed >> 34
                 AND r.use_index = u.use_index
                 AND r.rule_index = (v.packed >> (8 * u.use_index + 2)) & 63;
        """

    /// The view as migrations v1 and v2 created it, over their `verdicts` columns; frozen
    /// with them.
    private static let verdictsReadableViewV1 = """
        CREATE VIEW verdicts_readable AS
            SELECT v.run_id AS run_id,
                   p.policy_id AS policy_id,
                   v.track_id AS track_id,
                   CASE v.label_status WHEN 0 THEN 'major' WHEN 1 THEN 'licensed'
                        WHEN 2 THEN 'independent' ELSE 'unknown' END AS label_status,
                   u.name AS use,
                   CASE (v.verdicts >> (8 * u.use_index)) & 3 WHEN 0 THEN 'exposed'
                        WHEN 1 THEN 'consented' ELSE 'blocked' END AS verdict,
                   r.rule_id AS rule_id
            FROM verdicts v
            JOIN run_policies p ON p.run_id = v.run_id AND p.policy_index = v.policy_index
            CROSS JOIN ai_uses u
            JOIN policy_rules r ON r.run_id = v.run_id AND r.policy_index = v.policy_index
                 AND r.use_index = u.use_index
                 AND r.rule_index = (v.verdicts >> (8 * u.use_index + 2)) & 63;
        """

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE runs (
                    id INTEGER PRIMARY KEY,
                    started_at TEXT NOT NULL,
                    finished_at TEXT,
                    status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
                    error TEXT,
                    rows_read INTEGER,
                    rows_scanned INTEGER,
                    rows_rejected INTEGER,
                    tool_version TEXT NOT NULL,
                    store_mode TEXT NOT NULL,
                    command_line TEXT NOT NULL,
                    pid INTEGER
                );
                CREATE TABLE run_inputs (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    input_index INTEGER NOT NULL,
                    path TEXT NOT NULL,
                    format TEXT NOT NULL,
                    compression TEXT NOT NULL,
                    bytes INTEGER NOT NULL,
                    sha256 TEXT NOT NULL,
                    rows_read INTEGER NOT NULL,
                    PRIMARY KEY (run_id, input_index)
                );
                CREATE TABLE run_policies (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    policy_index INTEGER NOT NULL,
                    policy_id TEXT NOT NULL,
                    policy_sha256 TEXT NOT NULL,
                    policy_source TEXT NOT NULL,
                    policy_title TEXT NOT NULL,
                    policy_origin TEXT NOT NULL,
                    independent_exposed_share REAL,
                    labelled_exposed_share REAL,
                    exposure_gap REAL,
                    PRIMARY KEY (run_id, policy_index)
                );
                CREATE TABLE policy_rules (
                    run_id INTEGER NOT NULL,
                    policy_index INTEGER NOT NULL,
                    use_index INTEGER NOT NULL,
                    rule_index INTEGER NOT NULL,
                    rule_id TEXT NOT NULL,
                    verdict TEXT NOT NULL,
                    PRIMARY KEY (run_id, policy_index, use_index, rule_index)
                ) WITHOUT ROWID;
                CREATE TABLE ai_uses (
                    use_index INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE
                );
                INSERT INTO ai_uses VALUES
                    (0, 'ai_generative_training'), (1, 'ai_training'), (2, 'ai_inference'), (3, 'data_mining');
                CREATE TABLE group_stats (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    policy_id TEXT NOT NULL,
                    label_status TEXT NOT NULL,
                    use TEXT NOT NULL,
                    tracks INTEGER NOT NULL,
                    exposed INTEGER NOT NULL,
                    consented INTEGER NOT NULL,
                    blocked INTEGER NOT NULL,
                    PRIMARY KEY (run_id, policy_id, label_status, use)
                );
                CREATE TABLE group_exposure (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    policy_id TEXT NOT NULL,
                    label_status TEXT NOT NULL,
                    tracks INTEGER NOT NULL,
                    any_training_exposed INTEGER NOT NULL,
                    exposed_share REAL,
                    PRIMARY KEY (run_id, policy_id, label_status)
                );
                CREATE TABLE run_reject_counts (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    code TEXT NOT NULL,
                    count INTEGER NOT NULL,
                    PRIMARY KEY (run_id, code)
                );
                -- One row per scanned track and policy. `verdicts` packs the four uses, 8 bits
                -- each (use i at bits 8i..8i+7): verdict in the low 2 bits (0 exposed,
                -- 1 consented, 2 blocked), deciding rule index in the high 6 (policy_rules).
                CREATE TABLE verdicts (
                    run_id INTEGER NOT NULL,
                    policy_index INTEGER NOT NULL,
                    track_id TEXT NOT NULL,
                    label_status INTEGER NOT NULL,
                    verdicts INTEGER NOT NULL
                );
                CREATE TABLE rejects (
                    run_id INTEGER NOT NULL,
                    input TEXT NOT NULL,
                    line INTEGER NOT NULL,
                    byte_offset INTEGER NOT NULL,
                    code TEXT NOT NULL,
                    "column" TEXT,
                    message TEXT NOT NULL,
                    excerpt TEXT NOT NULL
                );
                CREATE INDEX rejects_by_run ON rejects (run_id, code);
                \(verdictsReadableViewV1)
                """)
        }
        migrator.registerMigration("v2") { db in
            try db.execute(sql: """
                -- verdicts gets an INTEGER PRIMARY KEY so that VACUUM (after `consentry prune`)
                -- keeps every row's rowid, and with it the ranges below.
                DROP VIEW verdicts_readable;
                CREATE TABLE verdicts_v2 (
                    id INTEGER PRIMARY KEY,
                    run_id INTEGER NOT NULL,
                    policy_index INTEGER NOT NULL,
                    track_id TEXT NOT NULL,
                    label_status INTEGER NOT NULL,
                    verdicts INTEGER NOT NULL
                );
                INSERT INTO verdicts_v2 (id, run_id, policy_index, track_id, label_status, verdicts)
                    SELECT rowid, run_id, policy_index, track_id, label_status, verdicts FROM verdicts ORDER BY rowid;
                DROP TABLE verdicts;
                ALTER TABLE verdicts_v2 RENAME TO verdicts;
                \(verdictsReadableViewV1)
                -- The rowid range of a run's verdict rows: they are inserted in one transaction by
                -- the one scan holding the lock, so they are contiguous. diff and export read a run
                -- by range instead of scanning the rows of every run.
                ALTER TABLE runs ADD COLUMN verdicts_first_rowid INTEGER;
                ALTER TABLE runs ADD COLUMN verdicts_last_rowid INTEGER;
                -- Set by `consentry prune` when the run's verdict and reject rows were deleted.
                ALTER TABLE runs ADD COLUMN pruned_at TEXT;
                -- What-if between the policies of one run: per pair (from_policy listed before
                -- to_policy in the scan), group and use, the tracks with each pair of verdicts.
                -- Only non-zero cells are stored; from_verdict = to_verdict rows are the tracks
                -- that stay, so each (pair, group, use) adds up to the group's tracks.
                CREATE TABLE policy_transitions (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    from_policy_id TEXT NOT NULL,
                    to_policy_id TEXT NOT NULL,
                    label_status TEXT NOT NULL,
                    use TEXT NOT NULL,
                    from_verdict TEXT NOT NULL,
                    to_verdict TEXT NOT NULL,
                    tracks INTEGER NOT NULL,
                    PRIMARY KEY (run_id, from_policy_id, to_policy_id, label_status, use, from_verdict, to_verdict)
                );
                """)
        }
        migrator.registerMigration("v3") { db in
            try db.execute(sql: """
                -- The label status and policy index move into the packed integer (VerdictRowCode),
                -- renamed `packed`: one column instead of three per row. Rowids are kept.
                DROP VIEW verdicts_readable;
                CREATE TABLE verdicts_v3 (
                    id INTEGER PRIMARY KEY,
                    run_id INTEGER NOT NULL,
                    track_id TEXT NOT NULL,
                    packed INTEGER NOT NULL
                );
                INSERT INTO verdicts_v3 (id, run_id, track_id, packed)
                    SELECT id, run_id, track_id, verdicts | (label_status << 32) | (policy_index << 34)
                    FROM verdicts ORDER BY id;
                DROP TABLE verdicts;
                ALTER TABLE verdicts_v3 RENAME TO verdicts;
                \(verdictsReadableView)
                """)
        }
        return migrator
    }
}
