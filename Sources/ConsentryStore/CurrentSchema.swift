import GRDB

/// The schema every migration of ``Schema`` leaves, made in one transaction for a new
/// database.
///
/// Running the seven migrations on an empty file took 11-15 ms (each its own transaction,
/// tables made and then renamed, which makes SQLite parse its whole schema again), paid by
/// every scan into a new database; this takes about 3 ms. The statements are those
/// `sqlite_master` holds after the migrations, in its order, so the two schemas are the same
/// text; a test holds them to that, and prints these statements again when a migration
/// changes them. A database with any table goes through the migrations.
enum CurrentSchema {
    /// Every migration's identifier, as GRDB records them once applied.
    static let migrations = ["v1", "v2", "v3", "v4", "v5", "v6", "v7"]

    /// `sqlite_master`'s statements after the last migration, `grdb_migrations` first.
    static let statements = """
        CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
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
        , verdicts_first_rowid INTEGER, verdicts_last_rowid INTEGER, pruned_at TEXT, rejects_not_kept INTEGER NOT NULL DEFAULT 0, history_began INTEGER, history_ended INTEGER, label_map TEXT, label_map_sha256 TEXT, work_dir TEXT);
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
        CREATE TABLE rejects (
            run_id INTEGER NOT NULL,
            input TEXT NOT NULL,
            line INTEGER NOT NULL,
            byte_offset INTEGER NOT NULL,
            code TEXT NOT NULL,
            "column" TEXT,
            message TEXT NOT NULL,
            excerpt TEXT NOT NULL
        , input_index INTEGER);
        CREATE INDEX rejects_by_run ON rejects (run_id, code);
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
        CREATE TABLE history_policies (
            policy_no INTEGER PRIMARY KEY,
            policy_id TEXT NOT NULL UNIQUE
        );
        CREATE TABLE history_rules (
            policy_no INTEGER NOT NULL,
            use_index INTEGER NOT NULL,
            rule_no INTEGER NOT NULL,
            rule_id TEXT NOT NULL,
            PRIMARY KEY (policy_no, use_index, rule_no),
            UNIQUE (policy_no, use_index, rule_id)
        );
        CREATE TABLE history_combos (
            combo INTEGER NOT NULL,
            policy_no INTEGER NOT NULL,
            state INTEGER NOT NULL,
            PRIMARY KEY (combo, policy_no)
        ) WITHOUT ROWID;
        CREATE TABLE history_runs (
            run_id INTEGER NOT NULL,
            policy_no INTEGER NOT NULL,
            policy_index INTEGER NOT NULL,
            PRIMARY KEY (run_id, policy_no)
        ) WITHOUT ROWID;
        CREATE TABLE history_packs (
            id INTEGER PRIMARY KEY,
            from_run INTEGER NOT NULL,
            first_hash INTEGER NOT NULL,
            last_hash INTEGER NOT NULL,
            tracks INTEGER NOT NULL,
            entries TEXT NOT NULL
        );
        CREATE INDEX history_packs_by_run ON history_packs (from_run, first_hash);
        CREATE TABLE history_segments (
            from_run INTEGER PRIMARY KEY,
            packs INTEGER NOT NULL,
            tracks INTEGER NOT NULL
        );
        CREATE TABLE history_ends (
            from_run INTEGER NOT NULL,
            hash INTEGER NOT NULL,
            track_id TEXT NOT NULL,
            to_run INTEGER NOT NULL,
            combo INTEGER NOT NULL,
            PRIMARY KEY (from_run, hash, track_id)
        ) WITHOUT ROWID;
        CREATE INDEX history_ends_by_run ON history_ends (to_run);
        CREATE TABLE history_meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE VIEW verdicts_readable AS
            SELECT hr.run_id AS run_id,
                   hp.policy_id AS policy_id,
                   json_extract(e.value, '$[0]') AS track_id,
                   CASE c.state & 3 WHEN 0 THEN 'major' WHEN 1 THEN 'licensed'
                        WHEN 2 THEN 'independent' ELSE 'unknown' END AS label_status,
                   u.name AS use,
                   CASE (c.state >> (2 + 15 * u.use_index)) & 3 WHEN 0 THEN 'exposed'
                        WHEN 1 THEN 'consented' ELSE 'blocked' END AS verdict,
                   r.rule_id AS rule_id
            FROM history_runs hr
            JOIN history_policies hp ON hp.policy_no = hr.policy_no
            JOIN history_packs p ON p.from_run <= hr.run_id
            JOIN json_each(p.entries) e
            JOIN history_combos c ON c.combo = json_extract(e.value, '$[1]') AND c.policy_no = hr.policy_no
            CROSS JOIN ai_uses u
            CROSS JOIN history_rules r ON r.policy_no = hr.policy_no AND r.use_index = u.use_index
                 AND r.rule_no = (c.state >> (4 + 15 * u.use_index)) & 8191
            WHERE NOT EXISTS (
                SELECT 1 FROM history_ends x
                WHERE x.from_run = p.from_run AND x.hash BETWEEN p.first_hash AND p.last_hash
                  AND x.track_id = json_extract(e.value, '$[0]') AND x.to_run <= hr.run_id);
        CREATE TABLE contains_ai_stats (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            label_status TEXT NOT NULL,
            declared TEXT NOT NULL,
            tracks INTEGER NOT NULL,
            PRIMARY KEY (run_id, label_status, declared)
        ) WITHOUT ROWID;
        CREATE TABLE labels (
            id INTEGER PRIMARY KEY,
            label TEXT NOT NULL UNIQUE
        );
        CREATE TABLE "label_counts" (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            label_id INTEGER NOT NULL REFERENCES labels(id),
            tracks INTEGER NOT NULL,
            exposed TEXT NOT NULL,
            PRIMARY KEY (run_id, label_id)
        ) WITHOUT ROWID;
        CREATE VIEW label_stats AS
            SELECT c.run_id, p.policy_id, l.label, c.tracks,
                   json_extract(c.exposed, '$[' || p.policy_index || ']') AS any_training_exposed
            FROM label_counts c
            JOIN run_policies p ON p.run_id = c.run_id
            JOIN labels l ON l.id = c.label_id
            WHERE json_extract(c.exposed, '$[' || p.policy_index || ']') IS NOT NULL;
        """

    /// The rows the migrations insert: the AI uses by index.
    static let uses = ["ai_generative_training", "ai_training", "ai_inference", "data_mining"]

    /// Makes the schema in `db`, which must hold no table, inside the caller's transaction.
    static func create(_ db: Database) throws {
        try db.execute(sql: statements)
        for (index, name) in uses.enumerated() {
            try db.execute(sql: "INSERT INTO ai_uses (use_index, name) VALUES (?, ?)", arguments: [index, name])
        }
        for identifier in migrations {
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES (?)", arguments: [identifier])
        }
    }
}
