// swift-tools-version:6.0
import PackageDescription

// Linux only: the engine reads files with Glibc calls and the store syncs with Linux's
// sync_file_range. The layering is explained in docs/ARCHITECTURE.md; each target depends
// only on the ones listed before it.
let package = Package(
    name: "consentry",
    products: [
        .executable(name: "consentry", targets: ["consentry"]),
        .library(name: "ConsentryModel", targets: ["ConsentryModel"]),
        .library(name: "ConsentryEngine", targets: ["ConsentryEngine"]),
        .library(name: "ConsentryStore", targets: ["ConsentryStore"]),
        .library(name: "ConsentryReports", targets: ["ConsentryReports"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Intel's ISA-L inflates gzip; zlib is only the tests' reference inflater.
        .systemLibrary(
            name: "CISAL",
            path: "Sources/CISAL",
            pkgConfig: "libisal",
            providers: [.apt(["libisal-dev"])]
        ),
        .systemLibrary(name: "CFileIO", path: "Sources/CFileIO"),
        // A cache prefetch hint, which Swift does not expose.
        .systemLibrary(name: "CMemory", path: "Sources/CMemory"),
        // libxml2's SAX2 push parser reads DDEX ERN deliveries.
        .systemLibrary(
            name: "CLibXML2",
            path: "Sources/CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),

        // Values and errors every layer shares: no I/O, no dependencies.
        .target(name: "ConsentryModel"),

        // Reading, decoding, policy evaluation and the threaded pipeline: the hot path, kept
        // in one module so that it is specialised across files, and the only one with
        // unsafe code.
        .target(
            name: "ConsentryEngine",
            dependencies: [
                "ConsentryModel",
                "CFileIO",
                "CISAL",
                "CLibXML2",
                "CMemory",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            // The YAML files are compiled in (Scripts/generate-builtin-policies), so the binary
            // needs no resource bundle beside it.
            exclude: ["Policy/BuiltIn"]
        ),

        // The SQLite results database (GRDB stays inside it) and the scan's lifecycle.
        .target(
            name: "ConsentryStore",
            dependencies: [
                "ConsentryModel",
                "ConsentryEngine",
                "CFileIO",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Renderings of stored results: text, JSON, Markdown, CSV, HTML, metrics, exports.
        .target(
            name: "ConsentryReports",
            dependencies: ["ConsentryModel", "ConsentryStore"]
        ),

        // The commands: argument parsing, and the one place that maps errors to exit codes.
        .target(
            name: "ConsentryCLI",
            dependencies: [
                "ConsentryModel",
                "ConsentryEngine",
                "ConsentryStore",
                "ConsentryReports",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // BuildCommit.swift: the git commit for `consentry --version` (Scripts/build-commit).
            plugins: ["BuildCommit"]
        ),
        .executableTarget(name: "consentry", dependencies: ["ConsentryCLI"]),
        .plugin(name: "BuildCommit", capability: .buildTool()),

        // Helpers every test target shares: temporary directories, child processes, the
        // sqlite3 tool, a JSON parser that keeps key order and number text.
        .target(name: "TestSupport", dependencies: [], path: "Tests/TestSupport"),
        // Scans into a results database, shared by the store and report tests.
        .target(
            name: "PipelineTestSupport",
            dependencies: ["ConsentryModel", "ConsentryEngine", "TestSupport"],
            path: "Tests/PipelineTestSupport"
        ),
        .target(
            name: "ScanTestSupport",
            dependencies: ["ConsentryModel", "ConsentryEngine", "ConsentryStore", "TestSupport"],
            path: "Tests/ScanTestSupport"
        ),

        .testTarget(name: "ConsentryModelTests", dependencies: ["ConsentryModel", "TestSupport"]),
        .testTarget(
            name: "ConsentryEngineTests",
            dependencies: ["ConsentryModel", "ConsentryEngine", "CZlib", "TestSupport", "PipelineTestSupport"]
        ),
        .testTarget(
            name: "ConsentryStoreTests",
            dependencies: ["ConsentryModel", "ConsentryEngine", "ConsentryStore", "CFileIO", "TestSupport",
                           "ScanTestSupport", "PipelineTestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "ConsentryReportsTests",
            dependencies: ["ConsentryModel", "ConsentryEngine", "ConsentryStore", "ConsentryReports", "TestSupport",
                           "ScanTestSupport"]
        ),
        .testTarget(
            name: "ConsentryCLITests",
            dependencies: ["ConsentryModel", "ConsentryStore", "ConsentryReports", "ConsentryCLI", "TestSupport",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "ConsentryEndToEndTests", dependencies: ["consentry", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
